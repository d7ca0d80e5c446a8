package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.GuestState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(Broker.class)
class MaintenanceCliTest {
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    /** One {@code vbal} invocation in this JVM, pointed at the fixture's broker unless the arguments name one. */
    private InProcessVbal.Run vbal(String... args) {
        return (fx == null ? new InProcessVbal(null, null, null, null) : InProcessVbal.against(fx)).run(args);
    }

    @Test
    void enterWaitsForTheDrainWithProgressThenStatusAndExitReportTheState(EmbeddedKafka broker) throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder()
                .host(HostSpec.of("host-1")).host(HostSpec.of("host-2")).host(HostSpec.of("host-3"))
                .guest("host-2", GuestSpec.of("app-1")).guest("host-2", GuestSpec.of("app-2"))
                .guest("host-2", GuestSpec.of("old-1").withState(GuestState.SHUTOFF))
                .guest("host-1", GuestSpec.of("app-3"))
                .build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings());
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.cluster.balancer().snapshot().hosts().size() == 3);

        InProcessVbal.Run enter = vbal("maintenance", "enter", "host-2", "--wait", "--timeout", "90s", "--reason", "kernel update");
        assertEquals(0, enter.exit(), () -> enter.out() + enter.err());
        assertTrue(enter.out().contains("sent EnterMaintenance for host-2"), enter.out());
        assertTrue(enter.out().contains("ENTERING"), "progress is printed while it drains: " + enter.out());
        assertTrue(enter.out().contains("IN_MAINTENANCE") && enter.out().contains("3/3 moved"), enter.out());
        // Not a terminal: each change is a plain line, never a redraw, and a status repeated unchanged is not printed again.
        assertFalse(enter.out().contains("\r") || enter.out().contains("\033["), enter.out());
        List<String> lines = enter.out().lines().toList();
        for (int i = 1; i < lines.size(); i++) {
            assertNotEquals(lines.get(i - 1), lines.get(i), enter.out());
        }
        assertEquals(List.of(), fabric.guests("host-2"));

        InProcessVbal.Run status = vbal("maintenance", "status", "host-2");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("IN_MAINTENANCE"), status.out());

        InProcessVbal.Run exit = vbal("maintenance", "exit", "host-2", "--wait", "--timeout", "60s");
        assertEquals(0, exit.exit(), () -> exit.out() + exit.err());
        assertTrue(exit.out().contains("ACTIVE"), exit.out());
        assertTrue(vbal("maintenance", "status", "host-2").out().contains("ACTIVE"));
    }

    @Test
    void badHostNamesAndUnreachableKafkaGiveClearErrorsAndExitCodes(EmbeddedKafka broker) throws Exception {
        InProcessVbal.Run bad = vbal("maintenance", "enter", "host 2;reboot", "--bootstrap", broker.bootstrapServers());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("is not a valid name"), bad.err());

        InProcessVbal.Run missing = vbal("maintenance", "enter");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("HOST"), missing.err());

        Path config = Files.createTempFile("vb-kafka", ".properties");
        Files.writeString(config, "max.block.ms=1500\nrequest.timeout.ms=1500\ndelivery.timeout.ms=3000\n");
        InProcessVbal.Run down = vbal("maintenance", "enter", "host-2", "--bootstrap", "127.0.0.1:1", "--kafka-config", config.toString());
        assertEquals(5, down.exit(), () -> down.out() + down.err());
        assertTrue(down.err().contains("cannot reach Kafka at 127.0.0.1:1"), down.err());
    }
}
