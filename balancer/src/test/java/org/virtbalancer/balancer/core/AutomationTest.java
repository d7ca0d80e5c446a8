package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.SetAutomation;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.migrations;
import static org.virtbalancer.balancer.Fixtures.plans;
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
        c.core.onControl(new EnterMaintenance("h2", ""));
        c.core.onControl(new ApprovePlan(recommended.planId()));
        List<Action> actions = c.tick();
        PlanDecision outcome = plans(actions).stream().filter(p -> p.planId().equals(recommended.planId()))
                .findFirst().orElseThrow();
        assertFalse(outcome.executed());
        assertTrue(outcome.notMoved().get(0).contains("h2 is entering maintenance"), outcome.notMoved().toString());
        assertTrue(migrations(actions).stream().noneMatch(m -> m.migrate().target().equals("h2")));
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
