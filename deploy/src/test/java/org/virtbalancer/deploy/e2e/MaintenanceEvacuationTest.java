package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(Broker.class)
class MaintenanceEvacuationTest {
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    void evacuatesRunningPausedAndShutOffGuestsByTheRightKindOfMigrationAndReturnsToService(EmbeddedKafka broker) throws Exception {
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        for (int h = 1; h <= 4; h++) {
            b.host(HostSpec.of("host-" + h).withCpus(8).withMemoryMiB(32768));
        }
        b.guest("host-2", GuestSpec.of("web-1").withConstantCpu(0.5))
                .guest("host-2", GuestSpec.of("web-2").withConstantCpu(0.5))
                .guest("host-2", GuestSpec.of("batch-1").withState(GuestState.PAUSED).withConstantCpu(0))
                .guest("host-2", GuestSpec.of("spare-1").withState(GuestState.SHUTOFF).withPersistent(true).withConstantCpu(0));
        // host-1 is overloaded at the same time, so the balancer is placing guests during the drain.
        for (int i = 1; i <= 8; i++) {
            b.guest("host-1", GuestSpec.of("hot-" + i).withVcpus(1).withConstantCpu(0.95));
        }
        b.guest("host-3", GuestSpec.of("calm-3").withConstantCpu(0.5));
        b.guest("host-4", GuestSpec.of("calm-4").withConstantCpu(0.5));
        fx = new ClusterFixture(broker, b.build(), ClusterFixture.testSettings());

        await().atMost(Duration.ofSeconds(30)).until(() -> fx.cluster.balancer().snapshot().hosts().size() == 4);
        fx.control("host-2", new EnterMaintenance("host-2", "firmware"));

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertTrue(
                fx.tap.bodies(fx.topics.decisions(), MaintenanceStatus.class).stream()
                        .anyMatch(s -> s.host().equals("host-2") && s.state() == MaintenanceState.IN_MAINTENANCE),
                "host-2 never reported IN_MAINTENANCE"));

        // Empty, and every guest kept its state on its new host.
        assertEquals(List.of(), fx.fabric.guests("host-2"));
        assertGuest("web-1", GuestState.RUNNING, true);
        assertGuest("web-2", GuestState.RUNNING, true);
        assertGuest("batch-1", GuestState.PAUSED, true);
        assertGuest("spare-1", GuestState.SHUTOFF, true);

        Map<String, Migrate> drained = fx.tap.bodies(null, Migrate.class).stream()
                .filter(m -> m.source().equals("host-2"))
                .collect(Collectors.toMap(Migrate::guest, Function.identity(), (a, c) -> c));
        Migrate web = drained.get("web-1");
        assertEquals(MigrationMode.LIVE, web.mode());
        assertTrue(web.options().persistent() && web.options().undefineSource() && !web.options().suspendOnTarget());
        Migrate paused = drained.get("batch-1");
        assertEquals(MigrationMode.LIVE, paused.mode());
        assertTrue(paused.options().suspendOnTarget() && paused.options().persistent() && paused.options().undefineSource());
        Migrate off = drained.get("spare-1");
        assertEquals(MigrationMode.OFFLINE, off.mode());
        assertTrue(off.options().persistent() && off.options().undefineSource());

        // The overload elsewhere was relieved meanwhile, but nothing was placed on the draining host.
        await().atMost(Duration.ofSeconds(60)).until(() -> fx.tap.bodies(null, Migrate.class).stream()
                .anyMatch(m -> m.source().equals("host-1")));
        assertFalse(fx.tap.bodies(null, Migrate.class).stream().anyMatch(m -> m.target().equals("host-2")),
                "a guest was sent to host-2 while it was in maintenance");

        // Status reports counted the drain down.
        MaintenanceStatus last = fx.tap.bodies(fx.topics.decisions(), MaintenanceStatus.class).stream()
                .filter(s -> s.host().equals("host-2") && s.state() == MaintenanceState.IN_MAINTENANCE).findFirst().orElseThrow();
        assertEquals(4, last.total());
        assertEquals(0, last.remaining());

        // ExitMaintenance returns it to service: reported ACTIVE, and it takes guests again.
        int before = fx.tap.all().size();
        fx.control("host-2", new ExitMaintenance("host-2"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertTrue(
                fx.tap.all().stream().skip(before).anyMatch(s -> s.envelope() != null
                        && s.envelope().body() instanceof MaintenanceStatus st
                        && st.host().equals("host-2") && st.state() == MaintenanceState.ACTIVE)));
        // Make host-3 hot: the emptiest host (host-2) is now a fair target.
        fx.fabric.setConstantCpu("calm-3", 0);
        for (int i = 1; i <= 8; i++) {
            fx.fabric.addGuest("host-3", GuestSpec.of("late-" + i).withVcpus(1).withConstantCpu(0.9));
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> fx.tap.bodies(null, Migrate.class).stream()
                .anyMatch(m -> m.target().equals("host-2")));
    }

    private void assertGuest(String name, GuestState state, boolean persistent) {
        // Shut-off guests are definitions only, so look at every host's definitions, not just running guests.
        List<String> holders = fx.fabric.hosts().stream().filter(h -> fx.fabric.guest(h, name).isPresent()).toList();
        assertEquals(1, holders.size(), name + " must be defined on exactly one host, found on " + holders);
        String host = holders.get(0);
        assertFalse(host.equals("host-2"), name + " still on host-2");
        GuestDescriptor g = fx.fabric.guest(host, name).orElseThrow();
        assertEquals(state, g.state(), name + " state");
        assertEquals(persistent, g.persistent(), name + " persistence");
    }
}
