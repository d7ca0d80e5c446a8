package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbal plan} and {@code vbal explain} against a real balancer's HTTP API, with agents and
 * balancer talking through a real broker: the balancer is in manual automation, so what it would
 * do stays a recommendation and the cluster holds still while the CLI asks about it.
 */
@ExtendWith(Broker.class)
class PlanExplainCliTest {
    private static final String OTHER_SUBNET = "10.9.0.0/24";
    private final ObjectMapper json = new ObjectMapper();
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    /** One {@code vbal} invocation in this JVM, pointed at the fixture's API unless the arguments name one. */
    private InProcessVbal.Run vbal(String... args) {
        return InProcessVbal.against(fx).run(args);
    }

    /** The {@link HotHostScenario}, plus host-5 and host-6 on another subnet, host-6 also on another architecture. */
    private void start(EmbeddedKafka broker) throws Exception {
        SimulatedFabric fabric = HotHostScenario.fabric(HotHostScenario.host("host-1"))
                .host(HotHostScenario.host("host-5").withSubnet(OTHER_SUBNET))
                .host(HotHostScenario.host("host-6").withSubnet(OTHER_SUBNET).withArch("aarch64"))
                .build();
        fx = new ClusterFixture(broker, fabric, ClusterFixture.testSettings().withAutomation(AutomationLevel.MANUAL),
                ApiEndpoint.loopback(0));
        HotHostScenario.settle(fx);
    }

    @Test
    void planShowsTheRecommendedMovesWithReasonsFiguresAndWhatWouldNotMove(EmbeddedKafka broker) throws Exception {
        start(broker);

        InProcessVbal.Run plan = vbal("plan", "--json");
        assertEquals(0, plan.exit(), plan.err());
        JsonNode p = json.readTree(plan.out());
        assertEquals("MANUAL", p.get("automation").asText());
        JsonNode step = p.get("steps").get(0);
        assertEquals("overload host-1", step.get("trigger").asText());
        assertEquals("BALANCING", step.get("purpose").asText());
        assertFalse(step.get("wouldIssue").asBoolean(), "manual automation recommends");
        List<JsonNode> moves = StreamSupport.stream(step.get("moves").spliterator(), false).toList();
        assertEquals(2, moves.size(), "host-1 may send two migrations at once: " + step);
        for (JsonNode m : moves) {
            assertEquals("host-1", m.get("source").asText());
            assertTrue(Set.of("host-2", "host-3").contains(m.get("target").asText()),
                    "host-4 is in maintenance, host-5 and host-6 on another subnet: " + m);
            assertEquals("LIVE", m.get("mode").asText());
            assertTrue(m.get("reason").asText().matches("host-1 cpu 0\\.9\\d > 0\\.85 for \\d of 5 samples; hot-\\d frees"
                    + " \\d\\.\\d cores for \\d+\\.\\d GiB copied in about \\d+ s; host-[23] cpu goes 0\\.\\d\\d → 0\\.\\d\\d"),
                    m.get("reason").asText());
            assertTrue(m.get("sourceAfter").asDouble() < m.get("sourceBefore").asDouble(), m.toString());
            assertTrue(m.get("targetAfter").asDouble() <= 0.70, m.toString());
            assertTrue(m.get("transferMiB").asLong() >= 2048 && m.get("durationMs").asLong() > 0, m.toString());
        }
        assertTrue(step.get("notMoved").get(0).asText().contains("host-1 already sends 2 migrations, its limit"),
                step.get("notMoved").toString());
        assertTrue(p.get("imbalanceAfter").asDouble() < p.get("imbalanceBefore").asDouble());

        // The plan is what the balancer itself recommended on the decisions topic.
        Set<String> planned = moves.stream().map(m -> m.get("guest").asText() + ">" + m.get("target").asText())
                .collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<PlanDecision> recommended = fx.tap.bodies(fx.topics.decisions(), PlanDecision.class).stream()
                    // The same moves may first have been recommended for the imbalance, before host-1 counted as
                    // overloaded; a recommendation waiting with the same moves is not published again.
                    .filter(d -> (d.trigger().equals("overload host-1") || d.trigger().startsWith("imbalance "))
                            && !d.executed() && !d.moves().isEmpty())
                    .toList();
            assertFalse(recommended.isEmpty(), "no recommendation published yet");
            PlanDecision last = recommended.get(recommended.size() - 1);
            assertEquals(planned, last.moves().stream().map(m -> m.guest() + ">" + m.target())
                    .collect(Collectors.toSet()));
            assertTrue(last.moves().stream().map(PlannedMove::commandId).allMatch(String::isEmpty), "nothing issued");
        });

        InProcessVbal.Run text = vbal("plan");
        assertEquals(0, text.exit(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals("overload host-1: would recommend 2 moves (automation MANUAL: approve the plan to run it)",
                lines.get(0));
        for (String line : lines.subList(1, 3)) {
            assertTrue(line.matches("  hot-\\d host-1 → host-[23], live: host-1 0\\.\\d\\d → 0\\.\\d\\d, host-[23] 0\\.\\d\\d"
                    + " → 0\\.\\d\\d; \\d+\\.\\d GiB in ~.* s, paused \\d+ ms; why: host-1 cpu 0\\.9\\d > 0\\.85 .*"), line);
        }
        assertTrue(lines.get(3).startsWith("  not moved: host-1 is not relieved further now"), lines.get(3));
        // Then, possibly, why imbalance moves stop there too; then the totals.
        int totals = lines.size() - 2;
        lines.subList(4, totals).forEach(l -> assertTrue(l.startsWith("  not moved: expected imbalance "), l));
        assertTrue(lines.get(totals).matches("imbalance 0\\.\\d{3} → 0\\.\\d{3}"), lines.get(totals));
        assertEquals("automation MANUAL: every move is recommended, not issued.", lines.get(totals + 1));
        assertEquals(0, fx.cluster.balancer().snapshot().migrationsIssued(), "asking changed nothing");
    }

    @Test
    void explainCountsEveryFailingRuleAcrossHostsAndPerTarget(EmbeddedKafka broker) throws Exception {
        start(broker);

        InProcessVbal.Run all = vbal("explain", "hot-1", "--json");
        assertEquals(0, all.exit(), all.err());
        JsonNode e = json.readTree(all.out());
        assertEquals("host-1", e.get("host").asText());
        assertEquals("2/5 hosts can take hot-1: 2 different subnet, 1 different CPU architecture, 1 in maintenance",
                e.get("summary").asText());
        assertEquals(List.of("different subnet=2", "different CPU architecture=1", "in maintenance=1"),
                StreamSupport.stream(e.get("counts").spliterator(), false)
                        .map(c -> c.get("reason").asText() + "=" + c.get("hosts").asInt()).toList());
        assertEquals(5, e.get("hosts").size());

        InProcessVbal.Run text = vbal("explain", "hot-1");
        assertEquals(0, text.exit(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals("2/5 hosts can take hot-1: 2 different subnet, 1 different CPU architecture, 1 in maintenance",
                lines.get(0), "the counted summary comes first");
        assertEquals("hot-1 is on host-1.", lines.get(1));
        assertEquals("  host-2: can take it", lines.get(2));
        assertEquals("  host-4: 1 rule fails", lines.get(4));
        assertEquals("      in maintenance (NotInMaintenance): host-4 is in maintenance and takes no guests.", lines.get(5));
        assertEquals("  host-6: 2 rules fail", lines.get(8));
        assertTrue(lines.get(9).startsWith("      different CPU architecture (SameArchitecture): "), lines.get(9));
        assertTrue(lines.get(10).startsWith("      different subnet (SameSubnet): "), lines.get(10));

        InProcessVbal.Run one = vbal("explain", "hot-1", "--target", "host-6");
        assertEquals(0, one.exit(), one.err());
        List<String> oneLines = one.out().lines().toList();
        assertEquals("host-6 cannot take hot-1: different CPU architecture, different subnet", oneLines.get(0));
        assertEquals("  host-6: 2 rules fail", oneLines.get(2));
        assertEquals(5, oneLines.size(), "host-6 alone: " + one.out());

        JsonNode target = json.readTree(vbal("explain", "hot-1", "--target", "host-2", "--json").out());
        assertEquals("host-2 can take hot-1", target.get("summary").asText());
        assertTrue(target.get("hosts").get(0).get("eligible").asBoolean());
    }

    @Test
    void unknownNamesAndAnUnreachableApiGiveOneSentenceAndTheirExitCodes(EmbeddedKafka broker) throws Exception {
        start(broker);

        InProcessVbal.Run guest = vbal("explain", "nobody");
        assertEquals(6, guest.exit(), guest.out() + guest.err());
        assertEquals("error: nobody is not in any host's inventory; check the name or wait for the host's next inventory.",
                guest.err().strip());

        InProcessVbal.Run host = vbal("explain", "hot-1", "--target", "host-9");
        assertEquals(6, host.exit(), host.out() + host.err());
        assertTrue(host.err().startsWith("error: host-9 is not a known host"), host.err());

        InProcessVbal.Run bad = vbal("explain", "hot-1;reboot");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("is not a valid name"), bad.err());

        InProcessVbal.Run down = vbal("plan", "--api", "http://127.0.0.1:1");
        assertEquals(5, down.exit(), down.out() + down.err());
        assertTrue(down.err().startsWith("error: cannot reach the balancer API at http://127.0.0.1:1: start the demo"),
                down.err());
        assertTrue(down.err().contains("point --api (or VB_API) at a running balancer's API"), down.err());
        assertEquals("", down.out());
    }
}
