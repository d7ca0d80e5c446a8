package org.virtbalancer.deploy.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.CommandSecurity;
import org.virtbalancer.agent.MetricsEndpoint;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.PlanetLabTraces;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * {@code vbal agent}: the host agent. With the libvirt driver (the default) it drives this host's
 * libvirtd; with the simulated driver, every host given ({@code --host}, {@code --host-count})
 * is a simulated host of one in-process fabric, and guests can migrate between those hosts. All
 * simulated hosts of the process share one Kafka producer and one consumer of their command topics.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run a host agent: publish inventory, load and events; carry out migration commands.",
                "Driver 'libvirt' (default): this host's libvirtd at --libvirt-uri; peers migrate to it at --peer-uri.",
                "Driver 'simulated': the given hosts form one simulated data centre in this process, with",
                "--guests-per-host guests each, CPU following PlanetLab traces; thousands of hosts fit in one process",
                "(--host-count). Guests migrate only between hosts of the same process."},
        exitCodeListHeading = ExitCode.HEADING,
        exitCodeList = {"0:stopped", "1:failed to start (libvirt, Kafka or the state directory)", ExitCode.USAGE_HELP},
        footer = {"%nExamples:", "  vbal agent --host kvm-07 --bootstrap kafka-1:9092",
                "  vbal agent --driver simulated --host-count 200 --host-prefix h --bootstrap 127.0.0.1:9092"})
public final class AgentCommand implements Callable<Integer> {
    /** What --overload sets a host to: above the default 0.85 high watermark. */
    static final double OVERLOAD = 0.95;

    @Mixin ConnectionOptions connection;

    @Option(names = "--host", paramLabel = "ID", split = ",",
            description = "Host id as the cluster knows it; repeat (or separate by commas) for several simulated hosts")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--host-count", paramLabel = "N",
            description = "Simulated only: N more hosts named PREFIX<number>, e.g. h1 … h2000")
    int hostCount;

    @Option(names = "--host-prefix", paramLabel = "PREFIX",
            description = "Name prefix of the --host-count hosts (default: ${DEFAULT-VALUE})")
    String hostPrefix = "sim-";

    @Option(names = "--first-host-number", paramLabel = "N",
            description = "Number of the first --host-count host, so several processes can share a cluster"
                    + " (e.g. 1 and 1001 for two processes of 1000 hosts; default: ${DEFAULT-VALUE})")
    int firstHostNumber = 1;

    @Option(names = "--overload", paramLabel = "HOST@DELAY", converter = OverloadConverter.class, split = ",",
            description = "Simulated only: DELAY after start-up (e.g. h17@3m), HOST's running guests together use 95%%"
                    + " of its CPUs, to watch the balancer relieve it; repeatable")
    List<Overload> overloads = new ArrayList<>();

    @Option(names = "--driver", description = "Hypervisor driver: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Driver driver = Driver.libvirt;

    @Option(names = "--libvirt-uri", description = "This host's libvirt (default: ${DEFAULT-VALUE})")
    String libvirtUri = "qemu:///system";

    @Option(names = "--peer-uri", description = "URI other hosts' libvirtd use to reach this one for peer-to-peer"
            + " migration, e.g. qemu+tls://host-a.example/system (default: --libvirt-uri)")
    String peerUri;

    @Option(names = "--migration-address", description = "Address of this host on the migration network (tcp://ADDR is"
            + " used as the migration stream's URI)")
    String migrationAddress = "";

    @Option(names = "--subnet", description = "Migration network in CIDR notation, e.g. 10.0.0.0/24")
    String subnet = "";

    @Option(names = "--link-mibps", description = "Migration link bandwidth, MiB/s (default: ${DEFAULT-VALUE})")
    double linkMiBps = 1250;

    @Option(names = "--guests-per-host", description = "Simulated guests per host (default: ${DEFAULT-VALUE})")
    int guestsPerHost = 10;

    @Option(names = "--host-cpus", description = "CPUs of each simulated host (default: ${DEFAULT-VALUE})")
    int hostCpus = 16;

    @Option(names = "--host-memory-gib", description = "Memory of each simulated host, GiB (default: ${DEFAULT-VALUE})")
    int hostMemoryGiB = 64;

    @Option(names = "--migration-speedup", description = "Simulated migrations run this many times faster than"
            + " the pre-copy model predicts; their reported figures stay unscaled (default: ${DEFAULT-VALUE})")
    double migrationSpeedup = 1;

    @Option(names = "--interval", converter = DurationConverter.class, description = "Load sample interval (default: ${DEFAULT-VALUE})")
    Duration interval = Duration.ofSeconds(10);

    @Option(names = "--max-migrations", description = "Concurrent migrations per host (default: ${DEFAULT-VALUE})")
    int maxMigrations = 2;

    @Option(names = "--state-dir", description = "Where executed command ids are kept, one folder per host; simulated hosts"
            + " keep their hypervisor state there too, so it outlives the process (default: ${DEFAULT-VALUE})")
    Path stateDir = Path.of("/var/lib/virt-balancer/agent");

    @Option(names = "--metrics-host", paramLabel = "ADDRESS",
            description = "Address GET /metrics (Prometheus) binds to (default: ${DEFAULT-VALUE}); it has no"
                    + " authentication, so bind it to a management network only")
    String metricsHost = "127.0.0.1";

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Port of GET /metrics, one for all hosts of this process (default: ${DEFAULT-VALUE});"
                    + " 0 takes any free port, -1 serves no metrics")
    int metricsPort = MetricsEndpoint.DEFAULT_PORT;

    @Option(names = "--signing-key-file", paramLabel = "FILE",
            description = "Run only commands signed with a key of FILE (one ID=BASE64KEY a line, readable by the agent's"
                    + " user only), issued within --signature-window and never run before; FILE is read again when it"
                    + " changes (default: none: unsigned commands run)")
    Path signingKeyFile;

    @Option(names = "--signature-window", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "With --signing-key-file: a command issued longer than this before or after the agent's clock"
                    + " is refused (default: 5m)")
    Duration signatureWindow = CommandSecurity.DEFAULT_WINDOW;

    @Option(names = "--allowed-targets", split = ",", paramLabel = "HOST",
            description = "Migrate only to these hosts (comma-separated), and only while they are in the cluster's"
                    + " inventory (default: any host of the inventory)")
    List<String> allowedTargets = new ArrayList<>();

    @Option(names = "--allowed-targets-file", paramLabel = "FILE",
            description = "Also allow the hosts listed in FILE, one a line (# starts a comment)")
    Path allowedTargetsFile;

    enum Driver { libvirt, simulated }

    /** A host to overload some time after start-up. */
    record Overload(String host, Duration after) {}

    /** Reads {@code HOST@DELAY}. */
    static final class OverloadConverter implements ITypeConverter<Overload> {
        @Override
        public Overload convert(String value) {
            int at = value.lastIndexOf('@');
            if (at <= 0 || at == value.length() - 1) {
                throw new TypeConversionException("'" + value + "' is not HOST@DELAY: write it like h17@3m");
            }
            return new Overload(value.substring(0, at), new DurationConverter().convert(value.substring(at + 1)));
        }
    }

    @Override
    public Integer call() throws Exception {
        if (!(migrationSpeedup >= 1 && migrationSpeedup <= 1000)) {
            throw new IllegalArgumentException("--migration-speedup must be between 1 and 1000, got " + migrationSpeedup);
        }
        if (hostCpus < 1 || hostMemoryGiB < 1) {
            throw new IllegalArgumentException("--host-cpus and --host-memory-gib must be at least 1");
        }
        if (metricsPort < -1 || metricsPort > 65_535) {
            throw new IllegalArgumentException("--metrics-port must be 0-65535, or -1 for no metrics; got " + metricsPort);
        }
        if (maxMigrations < 1) {
            throw new IllegalArgumentException("--max-migrations must be at least 1, got " + maxMigrations);
        }
        List<String> ids = hostIds();
        if (driver == Driver.libvirt && (ids.size() != 1 || hostCount > 0 || !overloads.isEmpty())) {
            throw new IllegalArgumentException("the libvirt driver runs one host per agent: give --host once (got "
                    + ids.size() + " hosts); several hosts, --host-count and --overload are for --driver simulated");
        }
        for (Overload o : overloads) {
            if (!ids.contains(o.host())) {
                throw new IllegalArgumentException("--overload names host " + o.host() + ", which this agent does not run:"
                        + " pick one of its hosts (e.g. " + ids.get(0) + ")");
            }
        }
        KafkaSettings settings = connection.settings();
        long began = System.nanoTime();
        Vertx vertx = Vertx.vertx();
        CommandSecurity security = security();
        Function<String, AgentConfig> config = host -> AgentConfig.of(host, settings, stateDir.resolve(host))
                .withSampleInterval(interval).withMaxConcurrentMigrations(maxMigrations).withSecurity(security);
        PrometheusMeterRegistry registry = ProcessMetrics.registry();
        SimulatedFabric fabric = null;
        Future<String> deployed;
        if (driver == Driver.simulated) {
            SimulatedFabric f = fabric(ids);
            fabric = f;
            deployed = vertx.deployVerticle(AgentVerticle.fleet(ids.stream().map(config).toList(), f::driver, registry));
        } else {
            String host = ids.get(0);
            deployed = vertx.deployVerticle(new AgentVerticle(config.apply(host), new LibvirtDriver(
                    LibvirtDriverConfig.of(host, libvirtUri).withPeerUri(peerUri == null ? libvirtUri : peerUri)
                            .withMigrationAddress(migrationAddress).withSubnet(subnet).withLinkMiBps(linkMiBps)),
                    registry));
        }
        Future<String> metrics = metricsPort < 0 ? Future.succeededFuture("")
                : MetricsEndpoint.start(vertx, metricsHost, metricsPort, registry).map(MetricsEndpoint::url);
        String metricsUrl;
        try {
            deployed.toCompletionStage().toCompletableFuture().get();
            metricsUrl = metrics.toCompletionStage().toCompletableFuture().get();
        } catch (java.util.concurrent.ExecutionException e) {
            vertx.close();
            throw new IllegalStateException("the agent could not start: " + e.getCause().getMessage(), e.getCause());
        }
        String which = ids.size() <= 5 ? String.join(", ", ids) : ids.size() + " hosts (" + ids.get(0) + " .. "
                + ids.get(ids.size() - 1) + ")";
        System.out.printf("agents for %s running against %s, started in %.1f s; Ctrl-C stops them%n", which,
                settings.bootstrapServers(), (System.nanoTime() - began) / 1e9);
        if (!metricsUrl.isEmpty()) {
            System.out.println("metrics: " + metricsUrl);
        }
        for (Overload o : overloads) {
            SimulatedFabric f = fabric;
            vertx.setTimer(Math.max(1, o.after().toMillis()), t -> {
                int guests = f.loadHost(o.host(), OVERLOAD);
                System.out.printf("overload: %s's %d running guests now use %.0f%% of its CPUs%n", o.host(), guests,
                        OVERLOAD * 100);
            });
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vertx.close().toCompletionStage().toCompletableFuture().join();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /** --signing-key-file, --signature-window and the allowed targets, checked. */
    CommandSecurity security() {
        CommandSecurity security = CommandSecurity.NONE.withWindow(signatureWindow);
        if (signingKeyFile != null) {
            security = security.withKeyFile(signingKeyFile);
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (String host : allowedTargets) {
            if (!host.isBlank()) {
                allowed.add(Arguments.name("--allowed-targets", host.strip()));
            }
        }
        if (allowedTargetsFile != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(allowedTargetsFile);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --allowed-targets-file " + allowedTargetsFile + " (" + e
                        + "): give a readable file of host ids, one a line");
            }
            int n = 0;
            for (String line : lines) {
                n++;
                String host = line.strip();
                if (host.isEmpty() || host.startsWith("#")) {
                    continue;
                }
                try {
                    allowed.add(Check.name("host", host));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(allowedTargetsFile + " line " + n + ": '" + host + "' is not a host id;"
                            + " write one host id a line");
                }
            }
            if (allowed.isEmpty()) {
                throw new IllegalArgumentException("--allowed-targets-file " + allowedTargetsFile + " lists no host, so no"
                        + " migration could go anywhere: list the cluster's hosts in it, one a line");
            }
        }
        return security.withAllowedTargets(allowed);
    }

    /** --host values, then the --host-count hosts; each once. */
    List<String> hostIds() {
        if (hostCount < 0 || firstHostNumber < 0) {
            throw new IllegalArgumentException("--host-count and --first-host-number must not be negative");
        }
        if (hostCount > 0 && driver != Driver.simulated) {
            throw new IllegalArgumentException("--host-count creates simulated hosts: add --driver simulated");
        }
        Set<String> ids = new LinkedHashSet<>(hosts);
        for (int i = 0; i < hostCount; i++) {
            ids.add(hostPrefix + (firstHostNumber + i));
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("name the host with --host ID (or, simulated, give --host-count N)");
        }
        if (ids.size() != hosts.size() + hostCount) {
            throw new IllegalArgumentException("a host is named twice by --host and --host-count: give each host once");
        }
        ids.forEach(id -> Check.name("host", id));
        return List.copyOf(ids);
    }

    private SimulatedFabric fabric(List<String> ids) {
        PlanetLabTraces traces = PlanetLabTraces.shipped();
        // A simulated host's guests and migrations outlive the agent process, as a real hypervisor's do.
        SimulatedFabric.Builder b = SimulatedFabric.builder().stateDir(stateDir).migrationSpeedup(migrationSpeedup);
        int n = 0;
        for (String host : ids) {
            b.host(HostSpec.of(host).withCpus(hostCpus).withMemoryMiB(hostMemoryGiB * 1024L));
        }
        for (String host : ids) {
            for (int i = 0; i < guestsPerHost; i++) {
                n++;
                b.guest(host, GuestSpec.of(host + "-vm-" + i).withTrace(traces.name(n % traces.size()), 0));
            }
        }
        return b.build();
    }
}
