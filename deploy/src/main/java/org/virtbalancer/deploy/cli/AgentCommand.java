package org.virtbalancer.deploy.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
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
 * {@code vbal agent}: host agents. With the simulated driver, every {@code --host} given is a
 * simulated host of one in-process fabric, and guests can migrate between those hosts.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run host agents: publish inventory, load and events; carry out migration commands.",
                "Driver 'simulated': the given hosts form one simulated data centre in this process, with",
                "--guests-per-host guests each, CPU following PlanetLab traces."})
public final class AgentCommand implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(names = "--host", required = true, paramLabel = "ID", description = "Host id; repeat for several simulated hosts")
    List<String> hosts;

    @Option(names = "--driver", description = "Hypervisor driver: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Driver driver = Driver.simulated;

    @Option(names = "--guests-per-host", description = "Simulated guests per host (default: ${DEFAULT-VALUE})")
    int guestsPerHost = 10;

    @Option(names = "--interval", converter = DurationConverter.class, description = "Load sample interval (default: ${DEFAULT-VALUE})")
    Duration interval = Duration.ofSeconds(10);

    @Option(names = "--max-migrations", description = "Concurrent migrations per host (default: ${DEFAULT-VALUE})")
    int maxMigrations = 2;

    @Option(names = "--state-dir", description = "Where executed command ids are kept (default: ${DEFAULT-VALUE})")
    Path stateDir = Path.of("/var/lib/virt-balancer/agent");

    enum Driver { simulated }

    @Override
    public Integer call() throws Exception {
        if (maxMigrations < 1) {
            throw new IllegalArgumentException("--max-migrations must be at least 1, got " + maxMigrations);
        }
        KafkaSettings settings = connection.settings();
        SimulatedFabric fabric = fabric();
        Vertx vertx = Vertx.vertx();
        List<Future<String>> deployed = new ArrayList<>();
        for (String host : hosts) {
            AgentConfig config = AgentConfig.of(host, settings, stateDir.resolve(host))
                    .withSampleInterval(interval).withMaxConcurrentMigrations(maxMigrations);
            deployed.add(vertx.deployVerticle(new AgentVerticle(config, fabric.driver(host), new SimpleMeterRegistry())));
        }
        Future.all(deployed).toCompletionStage().toCompletableFuture().get();
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
