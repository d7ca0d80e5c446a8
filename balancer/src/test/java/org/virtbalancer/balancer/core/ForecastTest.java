package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.PlanDecision;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;

/** Spike relief, and imbalance moves that balance what guests are expected to use rather than their last sample. */
class ForecastTest {

    /** h1 with four 3.5-core guests (14 of 16 cores, 0.875: above the 0.85 high watermark), h2 idle. Imbalance moves off. */
    private static TestCluster hot(BalancerSettings settings) {
        TestCluster c = new TestCluster(settings.withImbalance(0, 0.005));
        c.host("h1", 14, guest("g1", GuestState.RUNNING), guest("g2", GuestState.RUNNING),
                guest("g3", GuestState.RUNNING), guest("g4", GuestState.RUNNING));
        c.reports("h1", 14, guestLoad("g1", 3.5), guestLoad("g2", 3.5), guestLoad("g3", 3.5), guestLoad("g4", 3.5));
        c.host("h2", 1);
        return c;
    }

    @Test
    void aHostHotInItsLastSampleIsRelievedAtOnce() {
        TestCluster c = hot(BalancerSettings.defaults());
        c.sampleAll(1);
        List<Action> actions = c.tick();
        assertFalse(migrations(actions).isEmpty(), "one hot sample is enough with spike relief");
        PlanDecision plan = plans(actions).get(0);
        assertEquals("overload h1", plan.trigger());
        assertTrue(plan.moves().get(0).reason().startsWith("h1 cpu 0.88 > 0.85 in its last sample (spike relief); "),
                plan.moves().get(0).reason());
    }

    @Test
    void withoutSpikeReliefAHostWaitsForItsOverloadWindow() {
        TestCluster c = hot(BalancerSettings.defaults().withSpikeRelief(false));
        c.sampleAll(1);
        assertEquals(List.of(), migrations(c.tick()), "1 hot sample of the 3 needed");
        c.sampleAll(1);
        assertEquals(List.of(), migrations(c.tick()), "2 of 3");
        c.sampleAll(1);
        List<Action> actions = c.tick();
        assertFalse(migrations(actions).isEmpty());
        assertTrue(plans(actions).get(0).moves().get(0).reason().startsWith("h1 cpu 0.88 > 0.85 for 3 of 5 samples; "),
                plans(actions).get(0).moves().get(0).reason());
    }

    /** h1: a steady 2-core guest and one that has used 1 core; h2: a steady 3-core guest. One-minute forecast window. */
    private static TestCluster history() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withForecastWindow(Duration.ofMinutes(1))
                .withBurstWeight(0));
        c.host("h1", 3, guest("steady", GuestState.RUNNING), guest("spiky", GuestState.RUNNING))
                .reports("h1", 3, guestLoad("steady", 2), guestLoad("spiky", 1));
        c.host("h2", 3, guest("other", GuestState.RUNNING)).reports("h2", 3, guestLoad("other", 3));
        c.sampleAll(30);
        return c;
    }

    @Test
    void aGuestsSpikeDoesNotStartImbalanceMoves() {
        TestCluster c = history();
        // spiky jumps to 6 cores for one sample: CPU now is 0.50 against 0.19 (spread 0.16), but the
        // expected loads (2 + 1.77 against 3 cores) are 0.024 apart, under the 0.03 target.
        c.reports("h1", 8, guestLoad("steady", 2), guestLoad("spiky", 6));
        c.sampleAll(1);
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions));
    }

    @Test
    void aLastingChangeDoes() {
        TestCluster c = history();
        c.reports("h1", 8, guestLoad("steady", 2), guestLoad("spiky", 6));
        c.sampleAll(30);
        List<Action> actions = c.tick();
        assertEquals(1, migrations(actions).size(), "five minutes at 6 cores is the guest's level now: " + plans(actions));
        String reason = plans(actions).get(0).moves().get(0).reason();
        assertTrue(reason.startsWith("expected imbalance 0.15") && reason.contains("steady moves 2.0 expected cores"), reason);
    }
}
