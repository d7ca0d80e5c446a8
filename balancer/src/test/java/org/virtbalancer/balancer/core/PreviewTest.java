package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.PlanDecision;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;
import static org.virtbalancer.balancer.Fixtures.statuses;

class PreviewTest {
    /** h1 runs six 2.5-core guests on 16 CPUs (0.94); h3 is too busy to take one without passing 0.70. */
    private static TestCluster hotH1(BalancerSettings settings) {
        TestCluster c = new TestCluster(settings);
        c.host("h1", 15, guest("g1", GuestState.RUNNING), guest("g2", GuestState.RUNNING), guest("g3", GuestState.RUNNING),
                guest("g4", GuestState.RUNNING), guest("g5", GuestState.RUNNING), guest("g6", GuestState.RUNNING));
        c.reports("h1", 15, guestLoad("g1", 2.5), guestLoad("g2", 2.5), guestLoad("g3", 2.5), guestLoad("g4", 2.5),
                guestLoad("g5", 2.5), guestLoad("g6", 2.5));
        c.host("h2", 2).host("h3", 9.6).host("h4", 3);
        c.sampleAll(3);
        return c;
    }

    private static List<String> sent(List<Action> actions) {
        return migrations(actions).stream()
                .map(m -> m.migrate().guest() + " " + m.migrate().source() + ">" + m.migrate().target() + " "
                        + m.migrate().mode() + " " + m.migrate().reason())
                .toList();
    }

    private static List<String> proposed(Preview p) {
        return p.allMoves().stream()
                .map(m -> m.guest() + " " + m.source() + ">" + m.target() + " " + m.mode() + " " + m.reason())
                .toList();
    }

    @Test
    void previewShowsTheMovesTheNextTickIssuesWithReasonsAndFiguresAndChangesNothing() {
        TestCluster c = hotH1(BalancerSettings.defaults());
        TestCluster twin = hotH1(BalancerSettings.defaults());
        ClusterSnapshot before = c.core.snapshot();

        Preview first = c.core.preview();
        Preview second = c.core.preview();
        assertEquals(first, second, "a preview changes nothing the next preview sees");
        assertEquals(before, c.core.snapshot(), "no migration started, no decision remembered");

        assertEquals(AutomationLevel.FULL, first.automation());
        assertEquals(1, first.steps().size());
        Preview.Step step = first.steps().get(0);
        assertEquals("overload h1", step.trigger());
        assertEquals(Purpose.BALANCING, step.purpose());
        assertTrue(step.wouldIssue());
        assertEquals(2, step.moves().size());
        for (Preview.ProposedMove m : step.moves()) {
            assertEquals("h1", m.source());
            assertEquals(MigrationMode.LIVE, m.mode());
            assertTrue(m.reason().startsWith("h1 cpu 0.94 > 0.85 for 3 of 5 samples; "), m.reason());
            assertTrue(m.sourceAfter() < m.sourceBefore() && m.targetAfter() > m.targetBefore(), m.toString());
            assertTrue(m.targetAfter() <= 0.70, m.target() + " stays under the low watermark");
            assertTrue(m.transferMiB() >= 4096 && m.durationMs() > 0 && m.downtimeMs() > 0, m.toString());
            assertTrue(m.options().persistent() && m.options().undefineSource());
        }
        assertEquals(0.94, step.moves().get(0).sourceBefore(), 0.01);
        assertTrue(first.imbalanceAfter() < first.imbalanceBefore());

        List<Action> actions = c.tick();
        assertEquals(proposed(first), sent(actions), "the tick issues exactly what the preview showed");
        assertEquals(sent(twin.tick()), sent(actions), "and the same as a core that was never asked");
        PlanDecision plan = plans(actions).get(0);
        assertEquals(first.imbalanceBefore(), plan.imbalanceBefore(), 1e-9);
        assertEquals(first.imbalanceAfter(), plan.imbalanceAfter(), 1e-9);

        Preview after = c.core.preview();
        assertEquals(2, after.inFlight());
        assertTrue(after.allMoves().isEmpty(), "moves in flight count as done: " + after);
    }

    @Test
    void underManualAutomationThePreviewShowsRecommendationsAndTheTickStillPublishesThem() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withAutomation(AutomationLevel.MANUAL)
                .withLimits(1, 2, 8));
        c.host("h1", 2, guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING),
                guest("db", GuestState.RUNNING, 4096, Map.of("vb.pinned", "true")));
        c.host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h3", "firmware"));
        c.core.onControl(new EnterMaintenance("h1", "kernel update"));

        Preview p = c.core.preview();
        assertEquals(p, c.core.preview());
        Preview.Step drain = p.steps().stream().filter(s -> s.trigger().equals("maintenance h1")).findFirst().orElseThrow();
        assertEquals(Purpose.MAINTENANCE, drain.purpose());
        assertFalse(drain.wouldIssue(), "manual automation only recommends");
        assertEquals(1, drain.moves().size(), "one migration may leave h1 at a time");
        Preview.ProposedMove move = drain.moves().get(0);
        assertEquals("a", move.guest());
        assertEquals("h2", move.target(), "h3 is in maintenance itself");
        assertTrue(move.reason().startsWith("h1 is entering maintenance (kernel update); a moves live to h2"),
                move.reason());
        assertTrue(drain.notMoved().contains("b waits for a free migration slot to leave h1."), drain.notMoved().toString());
        assertTrue(drain.notMoved().contains("db: 0/2 hosts can take db: db is pinned to h1 (label vb.pinned=true);"
                + " remove the label or move it by hand; 1 in maintenance"), drain.notMoved().toString());

        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions));
        PlanDecision recommended = plans(actions).stream().filter(d -> d.trigger().equals("maintenance h1"))
                .findFirst().orElseThrow();
        assertFalse(recommended.executed());
        assertEquals(List.of("a>h2"), recommended.moves().stream().map(m -> m.guest() + ">" + m.target()).toList(),
                "the preview left no pending recommendation behind that would hide this one");
    }

    @Test
    void aPreviewBeforeADrainsFirstRoundDoesNotFixItsGuestCount() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        TestCluster twin = new TestCluster(BalancerSettings.defaults());
        for (TestCluster t : List.of(c, twin)) {
            t.host("h1", 2, guest("a", GuestState.PAUSED), guest("b", GuestState.PAUSED), guest("c", GuestState.PAUSED));
            t.host("h2", 1);
            t.sampleAll(1);
            t.core.onControl(new EnterMaintenance("h1", ""));
        }
        c.core.preview();
        for (TestCluster t : List.of(c, twin)) {
            // c is undefined before the drain's first round: the drain has two guests to move, not three.
            t.host("h1", 2, guest("a", GuestState.PAUSED), guest("b", GuestState.PAUSED));
        }
        MaintenanceStatus previewed = statuses(c.tick()).get(0);
        MaintenanceStatus plain = statuses(twin.tick()).get(0);
        assertEquals(plain, previewed);
        assertEquals(2, previewed.total());
    }

    @Test
    void aCalmClusterHasAnIdlePlan() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 3, guest("a", GuestState.RUNNING)).host("h2", 2.5);
        c.sampleAll(3);
        Preview p = c.core.preview();
        assertTrue(p.idle(), p.toString());
        assertEquals(p.imbalanceBefore(), p.imbalanceAfter());
        assertEquals(0.015625, p.imbalanceBefore(), 1e-9, "CPU loads 0.1875 and 0.15625, under the 0.03 target");
    }
}
