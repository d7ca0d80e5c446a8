package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(Broker.class)
class OverloadReliefTest {
    private static final int CPUS = 8;
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    void overloadedHostIsBroughtBelowItsWatermarkWithoutOverloadingAnotherHost(EmbeddedKafka broker) throws Exception {
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        for (int h = 1; h <= 4; h++) {
            b.host(HostSpec.of("host-" + h).withCpus(CPUS).withMemoryMiB(32768));
        }
        // host-1: 8 guests at 0.95 cores = 95% of 8 CPUs, above the 85% high watermark.
        for (int i = 1; i <= 8; i++) {
            b.guest("host-1", GuestSpec.of("hot-" + i).withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.95));
        }
        for (int h = 2; h <= 4; h++) {
            for (int i = 1; i <= 2; i++) {
                b.guest("host-" + h, GuestSpec.of("calm-" + h + "-" + i).withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.5));
            }
        }
        fx = new ClusterFixture(broker, b.build(), ClusterFixture.testSettings());
        double high = ClusterFixture.testSettings().highWatermark();

        // Relief: the host's real load (the simulator's truth) drops below the watermark and the balancer clears it.
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertTrue(load("host-1") <= high, () -> "host-1 still at " + load("host-1"));
            assertFalse(fx.cluster.balancer().snapshot().hosts().stream()
                    .anyMatch(h -> h.host().equals("host-1") && h.overloaded()), "balancer still sees host-1 overloaded");
        });

        List<Envelope> migrates = fx.tap.envelopes(null, Migrate.class).toList();
        assertFalse(migrates.isEmpty(), "relief must come from migrations");
        migrates.forEach(e -> {
            Migrate m = (Migrate) e.body();
            assertEquals("host-1", m.source());
            assertEquals(MigrationMode.LIVE, m.mode());
            assertFalse(m.reason().isBlank(), "every move carries its reason");
        });

        // Every command gets exactly one final result.
        Set<String> ids = migrates.stream().map(Envelope::id).collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, List<ResultStatus>> finals = fx.tap.bodies(fx.topics.commandResults(), CommandResult.class).stream()
                    .filter(r -> r.status().isFinal())
                    .collect(Collectors.groupingBy(CommandResult::commandId,
                            Collectors.mapping(CommandResult::status, Collectors.toList())));
            for (String id : ids) {
                assertEquals(List.of(ResultStatus.SUCCEEDED), finals.get(id), "final results of " + id);
            }
        });

        // No other host was ever reported above the watermark.
        for (HostLoad sample : fx.tap.bodies(fx.topics.hostLoad(), HostLoad.class)) {
            if (!sample.host().equals("host-1")) {
                assertTrue(sample.cpuCores() / CPUS <= high, () -> sample.host() + " reported " + sample.cpuCores() + " cores");
            }
        }
        // And the guests that moved are running on their targets.
        for (Envelope e : migrates) {
            Migrate m = (Migrate) e.body();
            assertEquals(m.target(), fx.fabric.hostOf(m.guest()).orElseThrow(), m.guest() + " location");
        }
    }

    private double load(String host) {
        return fx.fabric.guests(host).stream().filter(g -> g.state().isActive())
                .mapToDouble(g -> fx.fabric.cpuCores(g.name())).sum() / CPUS;
    }
}
