package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.SetAutomation;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;
import static org.virtbalancer.balancer.Fixtures.result;
import static org.virtbalancer.balancer.Fixtures.statuses;

class AutomationTest {
    private static TestCluster hot(AutomationLevel level) {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withAutomation(level));
        c.host("h1", 14, guest("big", GuestState.RUNNING)).reports("h1", 14, guestLoad("big", 4));
        c.host("h2", 1).host("h3", 1);
        c.sampleAll(3);
        return c;
    }

    @Test
    void partialAutomationRecommendsBalancingOnceAndApprovalIssuesIt() {
        TestCluster c = hot(AutomationLevel.PARTIAL);
        List<Action> first = c.tick();
        assertEquals(List.of(), migrations(first));
        PlanDecision recommended = plans(first).get(0);
        assertFalse(recommended.executed());
        assertEquals(AutomationLevel.PARTIAL, recommended.automation());
        assertEquals("big", recommended.moves().get(0).guest());
        assertEquals("", recommended.moves().get(0).commandId());
        assertEquals(List.of(), plans(c.tick()), "the same recommendation is not repeated while it is pending");

        c.core.onControl(new ApprovePlan(recommended.planId()));
        List<Action> approved = c.tick();
        List<Action.SendMigrate> sent = migrations(approved);
        assertEquals(1, sent.size());
        assertEquals("h2", sent.get(0).migrate().target());
        PlanDecision executed = plans(approved).get(0);
        assertTrue(executed.executed());
        assertEquals(recommended.planId(), executed.planId());
        assertEquals(sent.get(0).commandId(), executed.moves().get(0).commandId());
    }

    @Test
    void partialAutomationStillDrainsHostsOnItsOwn() {
        TestCluster c = hot(AutomationLevel.PARTIAL);
        c.core.onControl(new EnterMaintenance("h3", ""));
        c.host("h3", 1, guest("x", GuestState.RUNNING));
        assertTrue(migrations(c.tick()).stream().anyMatch(m -> m.migrate().guest().equals("x")));
    }

    @Test
    void manualAutomationOnlyRecommendsMaintenanceMovesUntilApproved() {
        TestCluster c = new TestCluster(BalancerSettings.defaults().withAutomation(AutomationLevel.MANUAL));
        c.host("h1", 1, guest("a", GuestState.RUNNING)).host("h2", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        List<Action> first = c.tick();
        assertEquals(List.of(), migrations(first));
        PlanDecision recommended = plans(first).get(0);
        assertEquals("maintenance h1", recommended.trigger());
        assertFalse(recommended.executed());
        assertTrue(statuses(first).get(0).message().contains("waiting for approval of plan " + recommended.planId()));

        c.core.onControl(new ApprovePlan(recommended.planId()));
        List<Action.SendMigrate> sent = migrations(c.tick());
        assertEquals(1, sent.size());
        assertEquals("a", sent.get(0).migrate().guest());
    }

    @Test
    void approvalRechecksEligibilityAndReportsMovesNoLongerPossible() {
        TestCluster c = hot(AutomationLevel.MANUAL);
        PlanDecision recommended = plans(c.tick()).get(0);
        assertEquals("h2", recommended.moves().get(0).target());
        // h2 fills up with a guest started by hand after the plan was made.
        c.host("h2", 1, guest("filler", GuestState.RUNNING, 65_536, java.util.Map.of()));
        c.core.onControl(new ApprovePlan(recommended.planId()));
        List<Action> actions = c.tick();
        PlanDecision outcome = plans(actions).stream().filter(p -> p.planId().equals(recommended.planId()))
                .findFirst().orElseThrow();
        assertFalse(outcome.executed());
        assertTrue(outcome.notMoved().get(0).contains("big cannot go to h2 any more"), outcome.notMoved().toString());
        assertTrue(migrations(actions).stream().noneMatch(m -> m.migrate().target().equals("h2")));
    }

    /** A manual cluster allowing two migrations at once, with drains of h4 (guest c) and h1 (a, b) recommended. */
    private record TwoDrains(TestCluster cluster, PlanDecision drainH4, PlanDecision drainH1) {}

    private static TwoDrains twoDrains() {
        // The two drains are recommended while nothing moves.
        TestCluster c = new TestCluster(BalancerSettings.defaults().withAutomation(AutomationLevel.MANUAL)
                .withLimits(2, 2, 2));
        c.host("h1", 1, guest("a", GuestState.RUNNING), guest("b", GuestState.RUNNING))
                .host("h4", 1, guest("c", GuestState.RUNNING)).host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h4", ""));
        PlanDecision drainH4 = plans(c.tick()).get(0);
        c.core.onControl(new EnterMaintenance("h1", ""));
        PlanDecision drainH1 = plans(c.tick()).stream().filter(p -> p.trigger().equals("maintenance h1")).findFirst()
                .orElseThrow();
        return new TwoDrains(c, drainH4, drainH1);
    }

    @Test
    void anApprovedMoveThatFindsNoFreeSlotStaysApprovedAndGoesWhenASlotFrees() {
        TwoDrains t = twoDrains();
        TestCluster c = t.cluster();
        PlanDecision drainH4 = t.drainH4();
        PlanDecision drainH1 = t.drainH1();
        assertEquals(2, drainH1.moves().size(), drainH1.toString());

        c.core.onControl(new ApprovePlan(drainH4.planId()));
        List<Action.SendMigrate> first = migrations(c.tick());
        assertEquals(List.of("c"), first.stream().map(m -> m.migrate().guest()).toList());
        c.core.onControl(new ApprovePlan(drainH1.planId()));
        List<Action> approved = c.tick();
        List<Action.SendMigrate> second = migrations(approved);
        assertEquals(1, second.size(), "one slot is free");
        String waiting = second.get(0).migrate().guest().equals("a") ? "b" : "a";
        PlanDecision partly = plans(approved).stream().filter(p -> p.planId().equals(drainH1.planId())).findFirst()
                .orElseThrow();
        assertTrue(partly.notMoved().stream().anyMatch(n -> n.startsWith(waiting + " waits: the cluster already runs 2"
                + " migrations") && n.endsWith("it goes when a slot frees.")), partly.notMoved().toString());
        assertEquals(List.of(), migrations(c.tick()), "no slot yet: the waiting move stays approved, unsent");

        c.core.onCommandResult(result(first.get(0), ResultStatus.SUCCEEDED, ""));
        List<Action> freed = c.tick();
        assertEquals(List.of(waiting), migrations(freed).stream().map(m -> m.migrate().guest()).toList());
        PlanDecision rest = plans(freed).stream().filter(p -> p.planId().equals(drainH1.planId())).findFirst()
                .orElseThrow();
        assertTrue(rest.executed());
        assertEquals(List.of(), migrations(c.tick()), "each approved move goes once");
    }

    @Test
    void anApprovedMoveThatWaitsForASlotLongerThanTheRecommendationTimeIsDroppedAndSaidSo() {
        TwoDrains t = twoDrains();
        TestCluster d = t.cluster();
        PlanDecision drainH4 = t.drainH4();
        PlanDecision drainH1 = t.drainH1();
        d.core.onControl(new ApprovePlan(drainH4.planId()));
        d.tick();
        d.core.onControl(new ApprovePlan(drainH1.planId()));
        assertEquals(1, migrations(d.tick()).size());
        d.clock.advance(BalancerCore.RECOMMENDATION_TTL.plusSeconds(1));
        List<Action> late = d.tick();
        PlanDecision dropped = plans(late).stream().filter(p -> p.planId().equals(drainH1.planId())).findFirst()
                .orElseThrow();
        assertFalse(dropped.executed());
        assertTrue(dropped.notMoved().get(0).contains("waited 10 min for a migration slot and is no longer part of the"
                + " approved plan"), dropped.notMoved().toString());
    }

    @Test
    void aHostEnteringMaintenanceWithdrawsTheRecommendationsThatMoveGuestsOntoIt() {
        TestCluster c = hot(AutomationLevel.PARTIAL);
        PlanDecision recommended = plans(c.tick()).get(0);
        assertEquals("h2", recommended.moves().get(0).target());
        c.core.onControl(new EnterMaintenance("h2", ""));
        assertTrue(c.core.snapshot().recommendations().stream().noneMatch(r -> r.planId().equals(recommended.planId())),
                "the plan onto h2 is no longer listed");
        PlanDecision current = plans(c.tick()).stream().filter(p -> !p.executed() && !p.moves().isEmpty()).findFirst()
                .orElseThrow();
        assertTrue(current.moves().stream().noneMatch(m -> m.target().equals("h2")), current.toString());
        c.core.onControl(new ApprovePlan(current.planId()));
        assertEquals(current.moves().size(), migrations(c.tick()).size(), "the current recommendation runs whole");
    }

    @Test
    void approvingAnUnknownPlanPublishesNothingButIsKeptInTheSnapshot() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.core.onControl(new ApprovePlan("no-such-plan"));
        assertEquals(List.of(), c.tick());
        List<PlanDecision> recent = c.core.snapshot().recentDecisions();
        assertTrue(recent.get(recent.size() - 1).notMoved().get(0).contains("no-such-plan is unknown or has expired"));
    }

    @Test
    void setAutomationChangesTheLevelInForce() {
        TestCluster c = hot(AutomationLevel.MANUAL);
        c.core.onControl(new SetAutomation(AutomationLevel.FULL));
        assertEquals(AutomationLevel.FULL, c.core.snapshot().automation());
        assertEquals(1, migrations(c.tick()).size());
    }
}
