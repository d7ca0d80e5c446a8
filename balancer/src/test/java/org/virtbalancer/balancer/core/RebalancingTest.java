package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;

/** Imbalance moves (no host overloaded, but the CPU spread is wide) and memory as a hard limit. */
class RebalancingTest {

    /** h1 at 0.75 (six 2-core guests), h2 at 0.10, h3 at 0.50: nobody overloaded, spread 0.26. */
    private static TestCluster spread(BalancerSettings settings) {
        TestCluster c = new TestCluster(settings);
        c.host("h1", 12, guest("a1", GuestState.RUNNING), guest("a2", GuestState.RUNNING),
                guest("a3", GuestState.RUNNING), guest("a4", GuestState.RUNNING), guest("a5", GuestState.RUNNING),
                guest("a6", GuestState.RUNNING));
        c.reports("h1", 12, guestLoad("a1", 2), guestLoad("a2", 2), guestLoad("a3", 2), guestLoad("a4", 2),
                guestLoad("a5", 2), guestLoad("a6", 2));
        c.host("h2", 1.6).host("h3", 8);
        return c;
    }

    @Test
    void narrowsAWideSpreadWithoutWaitingForAnOverload() {
        TestCluster c = spread(BalancerSettings.defaults());
        c.sampleAll(1);
        List<PlanDecision> decisions = plans(c.tick());

        assertEquals(1, decisions.size());
        PlanDecision plan = decisions.get(0);
        assertTrue(plan.trigger().startsWith("imbalance 0.2"), plan.trigger());
        assertTrue(plan.executed());
        assertTrue(plan.imbalanceAfter() < plan.imbalanceBefore());
        assertEquals(2, plan.moves().size(), "two moves, the per-source limit");
        assertTrue(plan.moves().get(0).reason().contains("imbalance 0.268 > 0.030"), plan.moves().get(0).reason());
        for (PlannedMove m : plan.moves()) {
            assertEquals("h1", m.source());
            assertEquals("h2", m.target(), "the least loaded host takes the load");
            assertTrue(m.targetLoadAfter() <= m.sourceLoadAfter(), "no move overshoots: " + m.reason());
            assertTrue(m.reason().contains("moves 2.0 expected cores from h1"), m.reason());
            assertTrue(m.reason().startsWith("expected imbalance 0.") && m.reason().contains(" > 0.030; "),
                    m.reason());
        }
    }

    @Test
    void ofTwoHostsAtTheSameCpuTheOneWithSteadyGuestsTakesTheLoad() {
        // A one-minute forecast window, so ten samples are history enough to tell the two guests apart.
        TestCluster c = spread(BalancerSettings.defaults().withForecastWindow(Duration.ofMinutes(1)));
        // h2 comes first by name, so only the swings can make h3 the choice.
        c.host("h2", 4.8, guest("bursty", GuestState.RUNNING)).host("h3", 4.8, guest("steady", GuestState.RUNNING));
        for (int i = 0; i < 10; i++) {
            double swing = i % 2 == 0 ? 1.6 : 8.0;
            c.reports("h3", 4.8, guestLoad("steady", 4.8)).reports("h2", swing, guestLoad("bursty", swing));
            c.sampleAll(1);
        }
        c.reports("h2", 4.8, guestLoad("bursty", 4.8));
        c.sampleAll(1);
        List<PlannedMove> moves = plans(c.tick()).get(0).moves();
        assertEquals("h3", moves.get(0).target(), "both at 0.30 CPU, but h2's guest swings: " + moves.get(0).reason());

        TestCluster plain = spread(BalancerSettings.defaults().withForecastWindow(Duration.ofMinutes(1)).withBurstWeight(0));
        plain.host("h2", 4.8, guest("bursty", GuestState.RUNNING)).host("h3", 4.8, guest("steady", GuestState.RUNNING));
        plain.sampleAll(1);
        assertEquals("h2", plans(plain.tick()).get(0).moves().get(0).target(), "without burst weight the name decides");
    }

    @Test
    void leavesAnEvenClusterAlone() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 8.3, guest("a1", GuestState.RUNNING)).reports("h1", 8.3, guestLoad("a1", 2));
        c.host("h2", 7.8, guest("b1", GuestState.RUNNING)).reports("h2", 7.8, guestLoad("b1", 2));
        c.host("h3", 8, guest("c1", GuestState.RUNNING)).reports("h3", 8, guestLoad("c1", 2));
        c.sampleAll(5);
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions));
        assertEquals(List.of(), plans(actions), "an even cluster is not even worth a note");
    }

    @Test
    void aMoveThatDoesNotPayIsNotMade() {
        // Spread 0.075 is above the 0.05 target, but the one guest that could go is a quarter of a core:
        // moving it cuts the squared deviations by 0.004, less than the 0.005 minimum. The big one would overshoot.
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 5.6, guest("big", GuestState.RUNNING), guest("small", GuestState.RUNNING))
                .reports("h1", 5.6, guestLoad("big", 5.35), guestLoad("small", 0.25));
        c.host("h2", 3.2);
        c.sampleAll(1);
        assertEquals(List.of(), migrations(c.tick()));

        // With a lower minimum the same small move is worth it.
        TestCluster eager = new TestCluster(BalancerSettings.defaults().withImbalance(0.05, 0.0001));
        eager.host("h1", 5.6, guest("big", GuestState.RUNNING), guest("small", GuestState.RUNNING))
                .reports("h1", 5.6, guestLoad("big", 5.35), guestLoad("small", 0.25));
        eager.host("h2", 3.2);
        eager.sampleAll(1);
        assertEquals(List.of("small"), migrations(eager.tick()).stream().map(s -> s.migrate().guest()).toList());
    }

    @Test
    void zeroTargetImbalanceTurnsImbalanceMovesOff() {
        TestCluster c = spread(BalancerSettings.defaults().withImbalance(0, 0.005));
        c.sampleAll(5);
        assertEquals(List.of(), migrations(c.tick()), "nothing is overloaded and spreading is off");
    }

    @Test
    void anIdleHostWhoseMemoryIsGivenAwayTakesNoGuest() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 15, guest("g1", GuestState.RUNNING, 8192, Map.of()), guest("g2", GuestState.RUNNING, 8192, Map.of()),
                guest("g3", GuestState.RUNNING, 8192, Map.of()));
        c.reports("h1", 15, guestLoad("g1", 5), guestLoad("g2", 5), guestLoad("g3", 5));
        // h2 is idle on CPU, but its guests were given 53 GiB of its 64: one more 8 GiB guest would make 0.95.
        c.host("h2", 0.5, guest("m1", GuestState.RUNNING, 27_000, Map.of()), guest("m2", GuestState.RUNNING, 27_000,
                Map.of()));
        c.reports("h2", 0.5, guestLoad("m1", 0.25), guestLoad("m2", 0.25));
        c.host("h3", 6);
        c.sampleAll(3);
        List<String> targets = migrations(c.tick()).stream().map(s -> s.migrate().target()).toList();
        assertFalse(targets.isEmpty(), "h1 is overloaded and h3 has room");
        assertFalse(targets.contains("h2"), "memory is a limit even on an idle host: " + targets);
        assertTrue(c.core.explain("g1").summary().contains("would exceed memory"), c.core.explain("g1").summary());
    }
}
