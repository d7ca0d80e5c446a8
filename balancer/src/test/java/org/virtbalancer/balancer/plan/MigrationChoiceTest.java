package org.virtbalancer.balancer.plan;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.GuestUsage;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;

/** The cost model picks the mode: live, else the allowed fallbacks in order, else none with the reason. */
class MigrationChoiceTest {
    private static final double LINK = 1000;
    private static final long DOWNTIME = 300;

    private static Guest dirtying(double dirtyMiBps, GuestState state) {
        return new Guest(guest("vm", state, 4096, Map.of()), "h1", new GuestUsage(1, 1, dirtyMiBps, 5, 0, 1));
    }

    @Test
    void aQuietGuestMovesLiveWithTheModelsPrediction() {
        MigrationChoice c = MigrationChoice.forBalancing(dirtying(10, GuestState.RUNNING), LINK, DOWNTIME,
                MigrationChoice.Fallbacks.NONE);
        assertTrue(c.possible());
        assertEquals(MigrationMode.LIVE, c.mode());
        assertFalse(c.options().autoConverge() || c.options().postCopy());
        // 4096 MiB, then what 10 MiB/s dirties in 4.1 s (41 MiB), under the 300 MiB downtime budget: 2 rounds.
        assertEquals(4096 + 40.96, c.prediction().transferredMiB(), 0.01);
        assertEquals(4137, c.prediction().durationMs(), 1);
        assertTrue(c.prediction().downtimeMs() <= DOWNTIME);
    }

    @Test
    void aGuestThatWouldNotConvergeUsesTheFirstAllowedFallback() {
        Guest busy = dirtying(2000, GuestState.RUNNING); // dirties faster than the link carries
        MigrationChoice none = MigrationChoice.forBalancing(busy, LINK, DOWNTIME, MigrationChoice.Fallbacks.NONE);
        assertFalse(none.possible());
        assertTrue(none.reason().startsWith("vm does not converge: dirty rate 2000 MiB/s against 1000 MiB/s"),
                none.reason());
        assertTrue(none.reason().endsWith("(allowed for balancing: none)"), none.reason());

        MigrationChoice auto = MigrationChoice.forBalancing(busy, LINK, DOWNTIME,
                new MigrationChoice.Fallbacks(true, true, true));
        assertTrue(auto.possible());
        assertTrue(auto.options().autoConverge() && !auto.options().postCopy(), "auto-converge comes first");
        assertEquals(MigrationMode.LIVE, auto.mode());

        MigrationChoice post = MigrationChoice.forBalancing(busy, LINK, DOWNTIME,
                new MigrationChoice.Fallbacks(false, true, true));
        assertTrue(post.options().postCopy() && !post.options().autoConverge());

        MigrationChoice pause = MigrationChoice.forBalancing(busy, LINK, DOWNTIME,
                new MigrationChoice.Fallbacks(false, false, true));
        assertEquals(MigrationMode.NON_LIVE, pause.mode());
        assertEquals(4096, pause.prediction().downtimeMs(), 1, "paused for the whole copy of 4 GiB at 1000 MiB/s");
    }

    @Test
    void autoConvergeCannotTameEveryGuestButPostCopyCan() {
        Guest wild = dirtying(1e9, GuestState.RUNNING);
        MigrationChoice c = MigrationChoice.forBalancing(wild, LINK, DOWNTIME,
                new MigrationChoice.Fallbacks(true, true, false));
        assertTrue(c.options().postCopy(), "throttling by 0.6 a round does not get there in 30 rounds");
        MigrationChoice autoOnly = MigrationChoice.forBalancing(wild, LINK, DOWNTIME,
                new MigrationChoice.Fallbacks(true, false, false));
        assertFalse(autoOnly.possible());
        assertTrue(autoOnly.reason().endsWith("(allowed for balancing: auto-converge)"), autoOnly.reason());
    }

    @Test
    void maintenanceUsesEveryFallbackAndPausesOnlyWhenAllowed() {
        Guest wild = dirtying(1e9, GuestState.RUNNING);
        assertTrue(MigrationChoice.forMaintenance(wild, LINK, DOWNTIME, false).options().postCopy());
        Guest paused = dirtying(500, GuestState.PAUSED);
        MigrationChoice p = MigrationChoice.forMaintenance(paused, LINK, DOWNTIME, false);
        assertTrue(p.options().suspendOnTarget(), "a paused guest stays paused on the target");
        assertEquals(MigrationMode.OFFLINE,
                MigrationChoice.forMaintenance(dirtying(0, GuestState.SHUTOFF), LINK, DOWNTIME, false).mode());
    }

    @Test
    void theBalancingDefaultsAllowAutoConvergeOnly() {
        MigrationChoice.Fallbacks defaults = org.virtbalancer.balancer.core.BalancerSettings.defaults()
                .balancingFallbacks();
        assertEquals(new MigrationChoice.Fallbacks(true, false, false), defaults);
        assertEquals("auto-converge", defaults.describe());
    }
}
