package org.virtbalancer.deploy.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.PlanetLabTraces;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.protocol.KafkaSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code vbal agent}: the host agent. With the libvirt driver (the default) it drives this host's
 * libvirtd; with the simulated driver, every {@code --host} given is a simulated host of one
 * in-process fabric, and guests can migrate between those hosts.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run a host agent: publish inventory, load and events; carry out migration commands.",
                "Driver 'libvirt' (default): this host's libvirtd at --libvirt-uri; peers migrate to it at --peer-uri.",
                "Driver 'simulated': the given hosts form one simulated data centre in this process, with",
                "--guests-per-host guests each, CPU following PlanetLab traces."})
public final class AgentCommand implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(names = "--host", required = true, paramLabel = "ID",
            description = "Host id as the cluster knows it; repeat for several simulated hosts")
    List<String> hosts;

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

    @Option(names = "--interval", converter = DurationConverter.class, description = "Load sample interval (default: ${DEFAULT-VALUE})")
    Duration interval = Duration.ofSeconds(10);

    @Option(names = "--max-migrations", description = "Concurrent migrations per host (default: ${DEFAULT-VALUE})")
    int maxMigrations = 2;

    @Option(names = "--state-dir", description = "Where executed command ids are kept (default: ${DEFAULT-VALUE})")
    Path stateDir = Path.of("/var/lib/virt-balancer/agent");

    enum Driver { libvirt, simulated }

    @Override
    public Integer call() throws Exception {
        if (maxMigrations < 1) {
            throw new IllegalArgumentException("--max-migrations must be at least 1, got " + maxMigrations);
        }
        if (driver == Driver.libvirt && hosts.size() != 1) {
            throw new IllegalArgumentException("the libvirt driver runs one host per agent: give --host once (got "
                    + hosts.size() + "); several --host values are for --driver simulated");
        }
        KafkaSettings settings = connection.settings();
        SimulatedFabric fabric = driver == Driver.simulated ? fabric() : null;
        Vertx vertx = Vertx.vertx();
        List<Future<String>> deployed = new ArrayList<>();
        for (String host : hosts) {
            AgentConfig config = AgentConfig.of(host, settings, stateDir.resolve(host))
                    .withSampleInterval(interval).withMaxConcurrentMigrations(maxMigrations);
            HypervisorDriver hypervisor = fabric != null ? fabric.driver(host) : new LibvirtDriver(
                    LibvirtDriverConfig.of(host, libvirtUri).withPeerUri(peerUri == null ? libvirtUri : peerUri)
                            .withMigrationAddress(migrationAddress).withSubnet(subnet).withLinkMiBps(linkMiBps));
            deployed.add(vertx.deployVerticle(new AgentVerticle(config, hypervisor, new SimpleMeterRegistry())));
        }
        try {
            Future.all(deployed).toCompletionStage().toCompletableFuture().get();
        } catch (java.util.concurrent.ExecutionException e) {
            vertx.close();
            throw new IllegalStateException("the agent could not start: " + e.getCause().getMessage(), e.getCause());
        }
        System.out.println("agents for " + String.join(", ", hosts) + " running against " + settings.bootstrapServers()
                + "; Ctrl-C stops them");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vertx.close().toCompletionStage().toCompletableFuture().join();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    private SimulatedFabric fabric() {
        PlanetLabTraces traces = PlanetLabTraces.shipped();
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        int n = 0;
        for (String host : hosts) {
            b.host(HostSpec.of(host));
        }
        for (String host : hosts) {
            for (int i = 0; i < guestsPerHost; i++) {
                n++;
                b.guest(host, GuestSpec.of(host + "-vm-" + i).withTrace(traces.name(n % traces.size()), 0));
            }
        }
        return b.build();
    }
}
