package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;
import static org.virtbalancer.balancer.Fixtures.result;

class BalancingTest {
    private static final double LOW = 0.70;

    /** h1 runs six 2.5-core guests on 16 CPUs (0.94); h3 is too busy to take one without passing 0.70. */
    private static TestCluster hotH1(BalancerSettings settings) {
        TestCluster c = new TestCluster(settings);
        c.host("h1", 15, guest("g1", GuestState.RUNNING), guest("g2", GuestState.RUNNING), guest("g3", GuestState.RUNNING),
                guest("g4", GuestState.RUNNING), guest("g5", GuestState.RUNNING), guest("g6", GuestState.RUNNING));
        c.reports("h1", 15, guestLoad("g1", 2.5), guestLoad("g2", 2.5), guestLoad("g3", 2.5), guestLoad("g4", 2.5),
                guestLoad("g5", 2.5), guestLoad("g6", 2.5));
        c.host("h2", 2).host("h3", 9.6).host("h4", 3);
        return c;
    }

    @Test
    void relievesAnOverloadedHostToTheLowWatermarkWithoutPushingAnyTargetOverIt() {
        TestCluster c = hotH1(BalancerSettings.defaults());
        c.sampleAll(3);
        List<Action> actions = c.tick();

        List<Action.SendMigrate> sent = migrations(actions);
        assertEquals(2, sent.size());
        PlanDecision plan = plans(actions).get(0);
        assertTrue(plan.executed());
        assertEquals("overload h1", plan.trigger());
        List<PlannedMove> moves = plan.moves();
        assertTrue(moves.get(moves.size() - 1).sourceLoadAfter() <= LOW, "h1 ends at or under the low watermark");
        for (PlannedMove m : moves) {
            assertTrue(m.targetLoadAfter() <= LOW, m.target() + " stays under the low watermark");
            assertFalse(m.target().equals("h3"), "h3 at 0.60 would pass 0.70 with a 2.5-core guest");
            assertEquals(MigrationMode.LIVE, m.mode());
            assertTrue(m.reason().startsWith("h1 cpu 0.94 > 0.85 for 3 of 5 samples; "), m.reason());
            assertTrue(m.reason().contains("frees 2.5 cores"), m.reason());
        }
        for (Action.SendMigrate s : sent) {
            assertTrue(s.migrate().options().persistent() && s.migrate().options().undefineSource());
            assertEquals("h1", s.migrate().source());
            assertTrue(s.migrate().deadlineTs() >= c.clock.millis() + 60_000);
        }
        assertEquals(Set.of("h2", "h4"), sent.stream().map(s -> s.migrate().target()).collect(Collectors.toSet()));
        assertTrue(plan.imbalanceAfter() < plan.imbalanceBefore());
    }

    @Test
    void countsMigrationsInFlightAsDoneAndPlansNothingMoreForTheSameOverload() {
        TestCluster c = hotH1(BalancerSettings.defaults());
        c.sampleAll(3);
        assertEquals(2, migrations(c.tick()).size());
        c.sampleAll(1); // h1 still reports 15 cores: the migrations have not finished
        List<Action> second = c.tick();
        assertEquals(List.of(), migrations(second));
        assertEquals(2, c.core.snapshot().inFlight().size());
    }

    @Test
    void cooldownKeepsAMovedGuestFromBeingMovedBack() {
        TestCluster c = hotH1(BalancerSettings.defaults());
        c.sampleAll(3);
        List<Action.SendMigrate> sent = migrations(c.tick());
        sent.forEach(s -> c.core.onCommandResult(result(s, ResultStatus.SUCCEEDED, "")));
        assertEquals(2, c.core.snapshot().migrationsSucceeded());

        // The guest that went to h2 now makes h2 hot, and h1 is nearly idle: moving it back would tempt.
        String moved = sent.stream().filter(s -> s.migrate().target().equals("h2")).findFirst().orElseThrow()
                .migrate().guest();
        c.reports("h2", 15, Map.of(moved, 7.0)).reports("h1", 2, Map.of());
        c.sampleAll(3);
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions), "the only guest on h2 is cooling down");
        assertTrue(c.core.explain(moved).notes().stream().anyMatch(n -> n.contains("moved recently from h1")),
                c.core.explain(moved).notes().toString());

        c.clock.advance(BalancerSettings.defaults().guestCooldown());
        c.sampleAll(1);
        List<Action.SendMigrate> later = migrations(c.tick());
        assertEquals(Optional.of("h1"), later.stream().filter(s -> s.migrate().guest().equals(moved))
                .map(s -> s.migrate().target()).findFirst(), "after the cooldown it may move again");
    }

    @Test
    void retriesAFailedMoveOnAnotherTargetAndGivesUpAfterMaxAttempts() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 14, guest("big", GuestState.RUNNING), guest("tiny", GuestState.RUNNING))
                .reports("h1", 14, guestLoad("big", 4), guestLoad("tiny", 0.01));
        c.host("h2", 1).host("h3", 1).host("h4", 1).host("h5", 1);
        c.sampleAll(3);

        List<String> targets = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            List<Action.SendMigrate> sent = migrations(c.tick());
            assertEquals(1, sent.size(), "attempt " + (attempt + 1));
            assertEquals("big", sent.get(0).migrate().guest());
            targets.add(sent.get(0).migrate().target());
            c.core.onCommandResult(result(sent.get(0), ResultStatus.FAILED, "target refused the connection"));
        }
        assertEquals(List.of("h2", "h3", "h4"), targets, "each retry goes to a host that has not failed yet");
        assertEquals(List.of(), migrations(c.tick()), "three attempts is the limit, even with h5 still free");
        assertEquals(3, c.core.snapshot().migrationsFailed());
        assertTrue(c.core.explain("big").notes().stream().anyMatch(n -> n.contains("failed to migrate 3 times")));
    }

    @Test
    void aRejectedMoveAlsoCountsAsAFailedAttempt() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withMaxAttemptsPerGuest(1));
        c.host("h1", 14, guest("big", GuestState.RUNNING)).reports("h1", 14, guestLoad("big", 4));
        c.host("h2", 1).host("h3", 1);
        c.sampleAll(3);
        c.core.onCommandResult(result(migrations(c.tick()).get(0), ResultStatus.REJECTED, "deadline already passed"));
        assertEquals(List.of(), migrations(c.tick()));
    }

    @Test
    void concurrencyLimitsHoldPerSourcePerTargetAndInTheCluster() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withLimits(2, 1, 3));
        for (String h : List.of("h1", "h2")) {
            c.host(h, 15, guest(h + "-a", GuestState.RUNNING), guest(h + "-b", GuestState.RUNNING),
                    guest(h + "-c", GuestState.RUNNING), guest(h + "-d", GuestState.RUNNING));
            c.reports(h, 15, guestLoad(h + "-a", 1.5), guestLoad(h + "-b", 1.5), guestLoad(h + "-c", 1.5),
                    guestLoad(h + "-d", 1.5));
        }
        c.host("t1", 1).host("t2", 1).host("t3", 1).host("t4", 1);
        c.sampleAll(3);
        for (int round = 0; round < 3; round++) {
            c.tick();
            var inFlight = c.core.snapshot().inFlight();
            assertTrue(inFlight.size() <= 3, "cluster limit");
            Map<String, Long> perSource = inFlight.stream().collect(Collectors.groupingBy(MigrationSnapshot::source,
                    Collectors.counting()));
            Map<String, Long> perTarget = inFlight.stream().collect(Collectors.groupingBy(MigrationSnapshot::target,
                    Collectors.counting()));
            assertTrue(perSource.values().stream().allMatch(n -> n <= 2), perSource.toString());
            assertTrue(perTarget.values().stream().allMatch(n -> n <= 1), perTarget.toString());
            assertEquals(3, inFlight.size(), "the free slots are used");
        }
    }

    @Test
    void staleHostsReceiveNothing() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 14, guest("big", GuestState.RUNNING)).reports("h1", 14, guestLoad("big", 4));
        c.host("h2", 1);
        c.sampleAll(3);
        c.host("h3", 0); // reports an inventory but never a sample: it may be down
        c.core.onHostLoad(new org.virtbalancer.protocol.HostLoad("h3", 10_000, 0, 0, 0, 0, List.of()));
        c.clock.advance(Duration.ofSeconds(31));
        c.core.onHostLoad(new org.virtbalancer.protocol.HostLoad("h1", 10_000, 14, 4096, 0, 0, List.of(guestLoad("big", 4))));
        c.core.onHostLoad(new org.virtbalancer.protocol.HostLoad("h2", 10_000, 14, 4096, 0, 0, List.of()));
        List<Action> actions = c.tick();
        assertEquals(List.of(), migrations(actions), "h2 is busy now and h3 has been silent for 31 s");
        assertTrue(c.core.explain("big").hosts().stream().anyMatch(v -> v.host().equals("h3")
                && v.failures().stream().anyMatch(f -> f.reason().contains("no load sample for 31 s"))));
        assertTrue(c.core.snapshot().hosts().stream().anyMatch(h -> h.host().equals("h3") && h.stale()));
    }

    @Test
    void resultsOfUnknownCommandsAreIgnored() {
        TestCluster c = hotH1(BalancerSettings.defaults());
        c.core.onCommandResult(new org.virtbalancer.protocol.CommandResult("not-ours", "h1", "g1", ResultStatus.SUCCEEDED,
                100, "", null));
        assertEquals(0, c.core.snapshot().migrationsSucceeded());
        assertEquals("h1", c.core.explain("g1").host());
    }

    @Test
    void aTriggerNamingHundredsOfOverloadedHostsIsShortenedInsteadOfBreakingTheTick() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        for (int i = 0; i < 300; i++) {
            String h = String.format("overloaded-host-with-a-long-name-%03d", i);
            c.host(h, 15, guest("vm-" + i, GuestState.RUNNING));
            c.reports(h, 15, guestLoad("vm-" + i, 15));
        }
        c.host("spare", 1);
        c.sampleAll(3);
        List<PlanDecision> decisions = plans(c.tick());
        assertFalse(decisions.isEmpty(), "the tick decided something");
        for (PlanDecision d : decisions) {
            assertTrue(d.trigger().length() <= 4096, "trigger of " + d.trigger().length() + " characters");
        }
        assertTrue(decisions.stream().anyMatch(d -> d.trigger().matches("overload .* and \\d+ more hosts")),
                () -> decisions.get(0).trigger());
    }

    @Test
    void aMemoryBoundHostIsRelievedByTheMemoryItsGuestsFree() {
        // Six 10 GiB guests on 64 GiB: memory 0.94, cpu 0.19.
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 3, guest("m1", GuestState.RUNNING, 10_240, Map.of()), guest("m2", GuestState.RUNNING, 10_240, Map.of()),
                guest("m3", GuestState.RUNNING, 10_240, Map.of()), guest("m4", GuestState.RUNNING, 10_240, Map.of()),
                guest("m5", GuestState.RUNNING, 10_240, Map.of()), guest("m6", GuestState.RUNNING, 10_240, Map.of()));
        c.reports("h1", 3, guestLoad("m1", 0.5), guestLoad("m2", 0.5), guestLoad("m3", 0.5), guestLoad("m4", 0.5),
                guestLoad("m5", 0.5), guestLoad("m6", 0.5));
        c.host("h2", 2).host("h3", 2);
        c.sampleAll(3);
        PlanDecision plan = plans(c.tick()).get(0);
        assertFalse(plan.moves().isEmpty());
        for (PlannedMove m : plan.moves()) {
            assertTrue(m.reason().startsWith("h1 memory 0.94 > 0.90 for 3 of 5 samples; "), m.reason());
            assertTrue(m.reason().matches(".*; m\\d frees 10\\.0 GiB of memory for \\d+\\.\\d GiB copied in about \\d+ s;"
                    + " h[23] memory goes \\d\\.\\d\\d → \\d\\.\\d\\d"), m.reason());
        }
    }

    @Test
    void theLargestLoadTheProtocolAcceptsStillGivesAFinitePlan() {
        // A sample at the protocol's ceiling (a lying or broken agent) must not stop the balancer deciding.
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", org.virtbalancer.protocol.Check.MAX_FIGURE,
                org.virtbalancer.balancer.Fixtures.guest("a", org.virtbalancer.protocol.GuestState.RUNNING));
        c.host("h2", 0);
        c.reports("h1", org.virtbalancer.protocol.Check.MAX_FIGURE,
                org.virtbalancer.balancer.Fixtures.guestLoad("a", org.virtbalancer.protocol.Check.MAX_FIGURE));
        c.sampleAll(5);
        List<PlanDecision> plans = plans(c.tick());
        assertFalse(plans.isEmpty(), "it decides");
        assertTrue(Double.isFinite(plans.get(0).imbalanceBefore()) && Double.isFinite(plans.get(0).imbalanceAfter()));
        assertTrue(Double.isFinite(c.core.snapshot().imbalance()));
    }
}
