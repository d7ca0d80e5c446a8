package org.virtbalancer.deploy.staging;

import org.virtbalancer.deploy.e2e.TopicTap;
import org.virtbalancer.deploy.kafka.SecureKafka;
import org.virtbalancer.deploy.kafka.SecureKafkaCluster;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

/**
 * The guide's three-host deployment (docs/deploy.md) on this machine, set up by running the guide: the
 * package built by {@code deploy/bin/package} into a temporary directory and installed on each host;
 * a three-broker KRaft cluster with TLS, SASL and ACLs ({@link SecureKafkaCluster}); on each host a
 * balancer and an agent run from the installed units ({@link ServiceProcess}). {@code kvm-1} and
 * {@code kvm-2} are the test bed's real libvirt hosts {@code lv-a} and {@code lv-b}; {@code kvm-3}'s agent
 * runs a simulated fleet of {@value #FLEET} hosts, {@code sim-1} … {@code sim-50}.
 */
final class StagingCluster implements AutoCloseable {
    static final int FLEET = 50;
    static final String[] HOSTS = {"kvm-1", "kvm-2", "kvm-3"};
    static final String BALANCER = "virt-balancer-balancer";
    static final String AGENT = "virt-balancer-agent";
    /** The fleet's named host (kvm-3's host id); the others are sim-1 … sim-49. */
    static final String FLEET_HOST = "sim-" + FLEET;
    /**
     * Memory of each real guest: 45 % of this machine's (QEMU touches little of it), so that two on one
     * test-bed host (90 %) are an overload and one is not ({@link #memoryWatermark}).
     */
    static final long REAL_GUEST_MIB = machineMemoryKib() * 45 / 100 / 1024;

    final Path dir;
    final Path dist;
    final LibvirtTestbed bed;
    final SecureKafkaCluster kafka;
    final GuideRunner guide;
    final Map<String, StagingHost> hosts = new LinkedHashMap<>();
    final Map<String, ServiceProcess> services = new LinkedHashMap<>();
    final Map<String, Integer> httpPorts = new LinkedHashMap<>();
    final ClusterRecord record;
    private final Map<String, Integer> clusterPorts = new LinkedHashMap<>();

    private StagingCluster(Path dir, LibvirtTestbed bed, SecureKafkaCluster kafka) throws Exception {
        this.dir = dir;
        this.dist = dir.resolve("dist/virt-balancer");
        this.bed = bed;
        this.kafka = kafka;
        this.guide = new GuideRunner(DeployGuide.ofCheckout(), this::systemctl);
        Placeholders global = new Placeholders().put("/tmp/virt-balancer", dist.toString())
                .put("kvm-1", LibvirtTestbed.HOST_A).put("kvm-2", LibvirtTestbed.HOST_B).put("kvm-3", FLEET_HOST);
        for (int n = 1; n <= 3; n++) {
            global.put("kafka-" + n + ":9093", kafka.saslBootstrap(n)).put("kafka-" + n + ":9094", kafka.sslBootstrap(n));
            clusterPorts.put(HOSTS[n - 1], freePort());
            httpPorts.put(HOSTS[n - 1], freePort());
        }
        for (int n = 1; n <= 3; n++) {
            String name = HOSTS[n - 1];
            Placeholders own = new Placeholders().put("b1", "b" + n).put("10.0.0.11", "127.0.0.1");
            for (int m = 1; m <= 3; m++) {
                own.put("10.0.0.1" + m + ":5701", "127.0.0.1:" + clusterPorts.get(HOSTS[m - 1]));
            }
            String id = n == 1 ? LibvirtTestbed.HOST_A : n == 2 ? LibvirtTestbed.HOST_B : FLEET_HOST;
            own.put("kvm-1", id);
            if (n < 3) {
                own.put("qemu+tls://kvm-1.example/system", bed.uri(id)).put("10.1.0.11", bed.migrationAddress(id))
                        .put("10.1.0.0/24", "10.77.0.0/24");
            } else {
                // The fleet's simulated hosts: another migration network, so no real guest is ever sent there.
                own.put("10.1.0.11", "10.78.0.1").put("10.1.0.0/24", "10.78.0.0/24");
            }
            StagingHost host = new StagingHost(name, dir.resolve(name), global.with(own));
            host.setEnvironment("VB_API", "http://127.0.0.1:" + httpPorts.get(name));
            hosts.put(name, host);
        }
        Map<String, String> admin = kafka.clients().scram("admin", SecureKafka.SCRAM_USERS.get("admin"));
        this.record = new ClusterRecord(new TopicTap(new KafkaSettings(kafka.saslBootstrap(), Topics.defaults(), admin), true),
                Topics.defaults());
    }

    /** Everything up to running services: Kafka, the package, its installation, topics and ACLs, configuration. */
    static StagingCluster install(Path dir, LibvirtTestbed bed) throws Exception {
        SecureKafkaCluster kafka = SecureKafkaCluster.create(dir.resolve("kafka"), 3);
        kafka.startAll();
        StagingCluster c = new StagingCluster(dir, bed, kafka);
        c.guide.run("package", c.host("kvm-1"));
        for (StagingHost h : c.hosts.values()) {
            c.guide.run("install", h);
            c.writeKafkaClientFiles(h);
            c.configure(h);
        }
        c.guide.run("kafka", c.host("kvm-1"));
        c.fleetTopicsAndAcls();
        return c;
    }

    /**
     * A fresh directory for one deployment, target/staging/run-TIME: kept when a test fails (the services'
     * logs and journals are in each host's var/log/virt-balancer), removed by {@link #delete} when it passes.
     */
    static Path workDir() throws IOException {
        return Files.createDirectories(Path.of("target", "staging", "run-" + System.currentTimeMillis()).toAbsolutePath());
    }

    static void delete(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    StagingHost host(String name) {
        return hosts.get(name);
    }

    /** Starts every balancer, then every agent, as the guide does; waits until all hosts report and one balancer leads. */
    void start() {
        hosts.values().forEach(h -> guide.run("start-balancer", h));
        hosts.values().forEach(h -> guide.run("start-agent", h));
        await().atMost(Duration.ofMinutes(3)).until(() -> record.inventories().size() == FLEET + 2
                && record.leader().isPresent());
        awaitBalancersReady();
    }

    /** Until every balancer sees all three in its cluster and has read its state from Kafka (its log says so). */
    void awaitBalancersReady() {
        await().atMost(Duration.ofMinutes(2)).until(() -> record.leader().isPresent() && hosts.keySet().stream()
                .allMatch(h -> service(h, BALANCER).alive() && balancerReady(h)));
    }

    private boolean balancerReady(String host) {
        String log = balancerLog(host);
        // This start's part of the log: after its last "starting" line.
        int start = log.lastIndexOf("has read its state from Kafka");
        int membership = log.lastIndexOf("membership: 3 of 3");
        int began = log.lastIndexOf(STARTED_MARK);
        return start > began && membership > began;
    }

    private static final String STARTED_MARK = "--- started by the staging test";

    String balancerLog(String host) {
        try {
            Path log = hosts.get(host).path("/var/log/virt-balancer/balancer.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Starts a stopped (or, with {@code stopFirst}, a running) service again as the guide's restart does, and
     * for a balancer waits until it is back in the cluster with its state read.
     */
    void restart(String host, String unit, boolean stopFirst) {
        if (stopFirst) {
            service(host, unit).stop();
        }
        markLog(hosts.get(host), unit);
        service(host, unit).start();
        if (unit.equals(BALANCER)) {
            awaitBalancersReady();
        }
    }

    /** The host whose balancer leads now. */
    String leaderHost() {
        String id = record.leader().orElseThrow().balancer();
        return HOSTS[Integer.parseInt(id.substring(1)) - 1];
    }

    ServiceProcess service(String host, String unit) {
        return services.computeIfAbsent(host + "/" + unit, k -> new ServiceProcess(hosts.get(host), unit));
    }

    /** The test's systemd: {@code systemctl daemon-reload | enable --now UNIT | start UNIT | stop UNIT | restart UNIT}. */
    private void systemctl(StagingHost host, List<String> args) {
        String verb = args.get(0);
        String unit = args.get(args.size() - 1).replaceFirst("\\.service$", "");
        switch (verb) {
            case "daemon-reload" -> { } // every start reads the unit file again
            case "enable", "start" -> {
                if (verb.equals("enable") && !args.contains("--now")) {
                    return;
                }
                markLog(host, unit);
                service(host.name(), unit).start();
            }
            case "stop" -> stopCleanly(host, unit);
            case "restart" -> {
                stopCleanly(host, unit);
                markLog(host, unit);
                service(host.name(), unit).start();
            }
            default -> throw new IllegalArgumentException("the staging test's systemd knows no 'systemctl " + verb + "'");
        }
    }

    /** SIGTERM, and the exit systemd counts as a clean stop: 0, or 143 (the units' SuccessExitStatus). */
    private void stopCleanly(StagingHost host, String unit) {
        ServiceProcess s = service(host.name(), unit);
        int exit = s.stop();
        if (exit != 0 && exit != 143) {
            throw new AssertionError(s.name() + " exited " + exit + " on SIGTERM, which systemd counts as a failure:\n"
                    + s.journal());
        }
    }

    private void markLog(StagingHost host, String unit) {
        if (unit.equals(BALANCER)) {
            try {
                Files.writeString(host.path("/var/log/virt-balancer/balancer.log"), STARTED_MARK + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** The client settings the guide's §2 describes, written to the host's /etc/virt-balancer. */
    private void writeKafkaClientFiles(StagingHost h) throws Exception {
        String agentId = h.substitute("kvm-1");
        Map<String, Path> files = Map.of(
                "agent-kafka", kafka.clients().file(h.name() + "-agent-kafka", kafka.clients().mutualTls("agent-" + agentId)),
                "balancer-kafka", kafka.clients().file("balancer-kafka",
                        kafka.clients().scram("balancer", SecureKafka.SCRAM_USERS.get("balancer"))),
                "operator", kafka.clients().file("operator",
                        kafka.clients().plain("operator", SecureKafka.PLAIN_USERS.get("operator"))),
                "admin", kafka.clients().file("admin", kafka.clients().scram("admin", SecureKafka.SCRAM_USERS.get("admin"))));
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Files.copy(f.getValue(), h.path("/etc/virt-balancer/" + f.getKey() + ".properties"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * agent.conf and balancer.conf: the guide's §4 and §5 lines, then what three hosts on one machine need:
     * the test bed's libvirt sockets, a state directory and metrics port per agent, free cluster and API ports,
     * and watermarks under which only memory can overload a test-bed host (both report this machine's CPU).
     */
    private void configure(StagingHost h) {
        Map<String, String> agent = new LinkedHashMap<>(guide.settings("agent.conf", h));
        agent.put("state-dir", h.path("/var/lib/virt-balancer/agent").toString());
        agent.put("metrics-port", "0");
        agent.put("interval", "2s");
        Map<String, String> agentEnv = new LinkedHashMap<>();
        if (h.name().equals("kvm-3")) {
            agent.remove("peer-uri");
            agent.put("driver", "simulated");
            agent.put("host-count", String.valueOf(FLEET - 1));
            agent.put("first-host-number", "1");
            agent.put("guests-per-host", "20");
            agent.put("host-memory-gib", "1024");
            agent.put("migration-speedup", "10");
            agentEnv.put("VB_JAVA_OPTS", "-Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        } else {
            agent.put("libvirt-uri", bed.uri(h.substitute("kvm-1")));
            agentEnv.put("VB_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        }
        SampleConfig.edit(h.path("/etc/virt-balancer/agent.conf"), agent);
        SampleConfig.edit(h.path("/etc/virt-balancer/agent.env"), agentEnv);

        Map<String, String> balancer = new LinkedHashMap<>(guide.settings("balancer.conf", h));
        balancer.put("cluster-port", String.valueOf(clusterPorts.get(h.name())));
        balancer.put("http-port", String.valueOf(httpPorts.get(h.name())));
        balancer.put("high", "2");
        balancer.put("low", "1.9");
        balancer.put("target-imbalance", "0");
        balancer.put("memory-watermark", memoryWatermark());
        SampleConfig.edit(h.path("/etc/virt-balancer/balancer.conf"), balancer);
        SampleConfig.edit(h.path("/etc/virt-balancer/balancer.env"),
                Map.of("VB_JAVA_OPTS", "-Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"));
    }

    /**
     * The memory watermark under which two running real guests overload a test-bed host and one does not:
     * 85 %. A host's memory counts as the larger of what its running guests were given and what it reports
     * used, and a target takes a guest only if what it reports used plus the guest stays below the watermark.
     * Both test-bed hosts report this machine's used memory, which the other tests move (25 % here while they
     * ran): a guest of 45 % fits on a host while this machine is less than 40 % used. Simulated hosts (1 TiB,
     * 20 guests of a few GiB) stay far below.
     */
    static String memoryWatermark() {
        return "0.85";
    }

    private static long machineMemoryKib() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Topics and ACLs of the fleet's hosts, which the guide's hosts file does not name (kvm-3 stands for all 50). */
    private void fleetTopicsAndAcls() throws Exception {
        StagingHost h = host("kvm-1");
        Path fleet = h.path("/etc/virt-balancer/fleet-hosts");
        Files.writeString(fleet, IntStream.rangeClosed(1, FLEET).mapToObj(i -> "sim-" + i).collect(Collectors.joining("\n")) + "\n");
        FleetAcls.apply(h.path("/opt/virt-balancer"), fleet, "User:agent-" + FLEET_HOST, FLEET_HOST, kafka.saslBootstrap(1),
                h.path("/etc/virt-balancer/admin.properties"));
        vbal(h, "topics", "create", "--replication-factor", "3", "--hosts-file", fleet.toString());
    }

    /** {@code /opt/virt-balancer/bin/vbal ARGS --bootstrap kafka-1:9093 --kafka-config operator.properties} on a host. */
    String vbal(StagingHost h, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(h.path("/opt/virt-balancer/bin/vbal").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--bootstrap", kafka.saslBootstrap(1), "--kafka-config",
                h.path("/etc/virt-balancer/operator.properties").toString()));
        Path out = Files.createTempFile("vb-vbal", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(h.environment());
        Process p = pb.start();
        if (!p.waitFor(180, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(out);
        Files.deleteIfExists(out);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + output);
        }
        return output;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private boolean closed;

    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        try {
            services.values().forEach(ServiceProcess::stop);
            record.close();
        } finally {
            kafka.close();
        }
    }
}
