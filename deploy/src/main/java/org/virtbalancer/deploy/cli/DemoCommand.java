package org.virtbalancer.deploy.cli;

import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.deploy.demo.DemoRun;
import org.virtbalancer.deploy.demo.DemoScenario;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.KafkaSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;

/** {@code vbal demo}: the whole system on this machine, with simulated hosts. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a real Kafka broker (in-process, 127.0.0.1), one balancer and simulated hosts driven by",
                "PlanetLab traces; show hosts, migrations and maintenance live. host-1 starts overloaded.",
                "From another terminal: deploy/bin/vbal maintenance enter host-3 --wait, deploy/bin/vbal plan,",
                "deploy/bin/vbal explain GUEST"},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:stopped (--for passed, or Ctrl-C)", "1:failed to start (e.g. a port in use)",
                ExitCode.USAGE_HELP},
        footer = {"%nExamples:", "  vbal demo", "  vbal demo --for 60s --plain", "  vbal demo --hosts 20 --guests 300"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--for", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Stop after this long and print a summary line (e.g. 60s, 5m); default: until Ctrl-C")
    Duration duration;

    @Option(names = "--hosts", description = "Simulated hosts (default: ${DEFAULT-VALUE})")
    int hosts = DemoScenario.defaults().hosts();

    @Option(names = "--guests", description = "Guests in all (default: ${DEFAULT-VALUE})")
    int guests = DemoScenario.defaults().guests();

    @Option(names = "--port", description = "Kafka port on 127.0.0.1 (default: 9092 if free, else any free port)")
    Integer port;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "Balancer API port on 127.0.0.1 (default: 8484 if free, else any free port; -1: no API)")
    Integer httpPort;

    @Option(names = "--trace-step", converter = DurationConverter.class,
            description = "Real time one 5-minute trace sample lasts (default: ${DEFAULT-VALUE})")
    Duration traceStep = DemoScenario.defaults().traceStep();

    @Option(names = "--seed", description = "Scenario seed (default: ${DEFAULT-VALUE})")
    long seed = DemoScenario.defaults().seed();

    @Option(names = "--plain", description = "Append frames instead of redrawing the screen (the default when not on a terminal)")
    boolean plain;

    @Override
    public Integer call() throws Exception {
        // Measured from JVM start: what a user waits for after typing the command.
        long started = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        DemoScenario scenario = new DemoScenario(hosts, guests, DemoScenario.defaults().hostCpus(),
                DemoScenario.defaults().hostMemoryMiB(), traceStep, seed);
        Path stateDir = Files.createTempDirectory("vbal-demo-");
        int kafkaPort = port != null ? port : (isFree(9092) ? 9092 : 0);
        System.out.println("starting Kafka (KRaft, in-process)...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(stateDir.resolve("kafka"), true, kafkaPort)) {
            long brokerReady = System.currentTimeMillis();
            System.out.println("kafka: " + kafka.bootstrapServers() + "  (topics prefixed vb.)");
            writeDemoFile(kafka.bootstrapServers(), "", "");
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            BalancerSettings bs = BalancerSettings.defaults()
                    .withGuestCooldown(Duration.ofMinutes(2))
                    .withHostStaleAfter(Duration.ofSeconds(5))
                    .withMinDeadline(Duration.ofSeconds(30));
            int apiPort = httpPort != null ? httpPort : (isFree(ApiEndpoint.DEFAULT_PORT) ? ApiEndpoint.DEFAULT_PORT : 0);
            String token = ApiToken.generate();
            BalancerConfig balancerConfig = BalancerConfig.of("demo", settings).withSettings(bs)
                    .withApi(ApiEndpoint.loopback(apiPort).withToken(token));
            SimulatedFabric fabric = scenario.build();
            DemoRun run = new DemoRun(System.out, !plain && System.console() != null, started, bs);
            try (LocalCluster cluster = LocalCluster.start(balancerConfig, fabric, scenario.hostIds(),
                    host -> AgentConfig.of(host, settings, stateDir.resolve("agents").resolve(host))
                            .withSampleInterval(Duration.ofSeconds(1))
                            .withInventoryInterval(Duration.ofSeconds(10)),
                    ProcessMetrics.registry())) {
                System.out.printf("cluster: %d simulated hosts, %d guests; broker up %d ms after start%n", hosts, guests,
                        brokerReady - started);
                System.out.println("drain a host from another terminal: deploy/bin/vbal maintenance enter host-3 --wait");
                run.kafka(kafka.bootstrapServers());
                cluster.balancer().apiUrl().ifPresent(url -> {
                    System.out.println("api: " + url + "  (from another terminal: deploy/bin/vbal status,"
                            + " deploy/bin/vbal plan, deploy/bin/vbal explain GUEST)");
                    System.out.println("metrics: " + url + "/metrics  (Prometheus; agents and balancer of this demo)");
                    System.out.println("dashboard: " + url + "/ui/#token=" + token + "  (the token lets the page's"
                            + " buttons act; it is also in " + ConnectionOptions.DEMO_FILE + ")");
                    run.api(url);
                });
                writeDemoFile(kafka.bootstrapServers(), cluster.balancer().apiUrl().orElse(""), token);
                run.attach(cluster.balancer());
                ClusterSnapshot last = run.runUntil(duration);
                System.out.println(run.timingLine());
                System.out.println(run.summaryLine(last));
            }
        } finally {
            Files.deleteIfExists(ConnectionOptions.DEMO_FILE);
        }
        return 0;
    }

    private static void writeDemoFile(String bootstrap, String api, String token) throws IOException {
        Properties p = new Properties();
        p.setProperty("bootstrap", bootstrap);
        p.setProperty("prefix", "vb.");
        if (!api.isEmpty()) {
            p.setProperty("api", api);
        }
        if (!token.isEmpty()) {
            p.setProperty("token", token);
        }
        Files.deleteIfExists(ConnectionOptions.DEMO_FILE);
        // The token lets whoever reads it act on the cluster: only the user who runs the demo may.
        Files.createFile(ConnectionOptions.DEMO_FILE, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(ConnectionOptions.DEMO_FILE)) {
            p.store(out, "written by vbal demo while it runs; read by the other vbal commands");
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static long overloaded(ClusterSnapshot s) {
        return s.hosts().stream().filter(HostSnapshot::overloaded).count();
    }
}
