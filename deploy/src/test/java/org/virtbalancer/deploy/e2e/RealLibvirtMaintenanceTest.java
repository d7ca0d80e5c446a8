package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/** A maintenance evacuation of a real libvirt host, through the real balancer and agents. */
@ExtendWith({Broker.class, LibvirtTestbed.Resolver.class})
class RealLibvirtMaintenanceTest {
    private RealHostsFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    void evacuatesARealHostWithRunningPausedAndShutOffGuests(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        bed.define(HOST_A, bed.guestXml("m-run", "counter", ""), true);
        bed.define(HOST_A, bed.guestXml("m-pause", "counter", ""), true);
        bed.define(HOST_A, bed.guestXml("m-off", "counter", ""), false);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("m-pause", "counter") >= 1);
        bed.virsh(HOST_A, "suspend", "m-pause");

        fx = new RealHostsFixture(broker, bed, true);
        fx.awaitAgentsKnowEachOther();
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.cluster.balancer().snapshot().hosts().stream()
                .filter(h -> !h.stale()).count() == 2);
        fx.control(HOST_A, new EnterMaintenance(HOST_A, "real evacuation"));

        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertTrue(
                fx.tap.bodies(fx.topics.decisions(), MaintenanceStatus.class).stream()
                        .anyMatch(s -> s.host().equals(HOST_A) && s.state() == MaintenanceState.IN_MAINTENANCE),
                () -> "not in maintenance yet; last statuses: " + fx.tap.bodies(fx.topics.decisions(), MaintenanceStatus.class)));

        assertEquals("", bed.virsh(HOST_A, "list", "--all", "--name").trim(), "host A must be empty");
        assertEquals("running", bed.state(HOST_B, "m-run"));
        assertEquals("paused", bed.state(HOST_B, "m-pause"));
        assertEquals("shut off", bed.state(HOST_B, "m-off"));
        for (String g : new String[]{"m-run", "m-pause", "m-off"}) {
            assertTrue(bed.persistent(HOST_B, g), g + " must be persistent on B");
        }
        assertEquals(1, bed.starts("m-run", "counter"));
        assertEquals(1, bed.starts("m-pause", "counter"));
    }
}
