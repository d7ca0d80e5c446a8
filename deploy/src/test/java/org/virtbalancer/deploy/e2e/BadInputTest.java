package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(Broker.class)
class BadInputTest {
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    @Test
    void badInputOnEveryConsumedTopicIsDeadLetteredWithAReasonAndNothingStops(EmbeddedKafka broker) throws Exception {
        SimulatedFabric fabric = SimulatedFabric.builder()
                .host(HostSpec.of("host-1")).host(HostSpec.of("host-2"))
                .guest("host-1", GuestSpec.of("web-1"))
                .guest("host-2", GuestSpec.of("web-2"))
                .build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings());
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.cluster.balancer().snapshot().hosts().size() == 2);

        String env = "{\"v\":1,\"type\":\"%s\",\"id\":\"bad-%s\",\"ts\":1764115200000,\"source\":\"fuzz\",\"body\":%s}";
        // topic -> {payload, what the reason must say}
        Map<String, String[]> bad = new LinkedHashMap<>();
        bad.put(fx.topics.inventory(), new String[]{"{\"v\":1,\"type\":\"Inventory\",", "not valid JSON"});
        bad.put(fx.topics.hostLoad(), new String[]{String.format(env, "HostLoad", "1",
                "{\"host\":\"host-1\",\"intervalMs\":1000,\"cpuCores\":-3,\"memoryMiB\":1,\"netMiBps\":0,\"diskMiBps\":0,\"guests\":[]}"),
                "body.cpuCores: must not be negative"});
        bad.put(fx.topics.domainEvents(), new String[]{String.format(env, "Teleport", "2", "{}"), "unknown message type 'Teleport'"});
        bad.put(fx.topics.commandResults(), new String[]{"{\"v\":7,\"type\":\"CommandResult\",\"id\":\"x\",\"ts\":1,\"source\":\"s\",\"body\":{}}",
                "version 7 is not supported"});
        bad.put(fx.topics.control(), new String[]{String.format(env, "EnterMaintenance", "3", "{\"reason\":\"no host\"}"),
                "body.host: is required but missing"});
        bad.put(fx.topics.commands("host-2"), new String[]{String.format(env, "Migrate", "4",
                "{\"guest\":\"web-2\",\"source\":\"host-2\",\"target\":\"host-1\",\"mode\":\"SIDEWAYS\"}"), "body.mode"});
        for (Map.Entry<String, String[]> e : bad.entrySet()) {
            fx.sendRaw(e.getKey(), "host-2", e.getValue()[0]);
        }
        // A message of the wrong type for its topic is bad input too.
        fx.sendRaw(fx.topics.control(), "host-1", String.format(env, "HostLoad", "5",
                "{\"host\":\"host-1\",\"intervalMs\":1000,\"cpuCores\":1,\"memoryMiB\":1,\"netMiBps\":0,\"diskMiBps\":0,\"guests\":[]}"));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<DeadLetter> letters = fx.tap.bodies(fx.topics.deadLetter(), DeadLetter.class);
            for (Map.Entry<String, String[]> e : bad.entrySet()) {
                assertTrue(letters.stream().anyMatch(d -> d.topic().equals(e.getKey()) && d.reason().contains(e.getValue()[1])),
                        () -> "no dead letter for " + e.getKey() + " saying '" + e.getValue()[1] + "' in " + letters);
            }
            assertTrue(letters.stream().anyMatch(d -> d.topic().equals(fx.topics.control())
                    && d.reason().contains("does not belong on " + fx.topics.control())), () -> "wrong-type letter missing: " + letters);
        });
        DeadLetter sample = fx.tap.bodies(fx.topics.deadLetter(), DeadLetter.class).get(0);
        assertTrue(!sample.payload().isEmpty() && !sample.rejectedBy().isEmpty(), "dead letters keep the payload and who rejected it");

        // Nothing stopped: the balancer still takes control messages and host-2's agent still runs commands.
        fx.control("host-2", new EnterMaintenance("host-2", ""));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertTrue(
                fx.tap.bodies(fx.topics.decisions(), MaintenanceStatus.class).stream()
                        .anyMatch(s -> s.host().equals("host-2") && s.state() == MaintenanceState.IN_MAINTENANCE)));
        assertEquals("host-1", fx.fabric.hostOf("web-2").orElseThrow());
    }
}
