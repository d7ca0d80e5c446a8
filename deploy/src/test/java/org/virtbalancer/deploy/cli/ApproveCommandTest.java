package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.PlannedMove;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whether a plan still waits for approval, as the decisions topic tells it. */
class ApproveCommandTest {
    private static final long T0 = 1_764_115_200_000L;
    private static final long MINUTE = 60_000;

    private static Envelope decision(String plan, boolean executed, String commandId, long at) {
        PlannedMove move = new PlannedMove(commandId, "web-1", "h1", "h2", MigrationMode.LIVE, "h1 is hot", 0.9, 0.7,
                0.2, 0.4, 2048);
        return Envelope.of("balancer:b1", new PlanDecision(plan, executed ? "approved: overload h1" : "overload h1",
                AutomationLevel.MANUAL, executed, 0.3, 0.2, List.of(move), List.of()), at);
    }

    private static ApproveCommand.History seen(String plan, Envelope... decisions) {
        ApproveCommand.History history = new ApproveCommand.History(plan);
        for (Envelope e : decisions) {
            history.see(e);
        }
        return history;
    }

    @Test
    void aPlanRecommendedWithinItsTenMinutesAndNotRunWaits() {
        assertDoesNotThrow(() -> seen("p1", decision("p1", false, "", T0)).checkWaiting(T0 + 9 * MINUTE));
    }

    @Test
    void anUnknownExpiredOrAlreadyRunPlanIsExitSixWithWhatToDo() {
        CommandFailure unknown = assertThrows(CommandFailure.class,
                () -> seen("p1", decision("p2", false, "", T0)).checkWaiting(T0));
        assertEquals(ExitCode.UNKNOWN, unknown.exitCode());
        assertTrue(unknown.getMessage().startsWith("no plan p1 was recommended in the last 10m 00s"), unknown.getMessage());

        CommandFailure expired = assertThrows(CommandFailure.class,
                () -> seen("p1", decision("p1", false, "", T0)).checkWaiting(T0 + 11 * MINUTE));
        assertEquals(ExitCode.UNKNOWN, expired.exitCode());
        assertTrue(expired.getMessage().startsWith("plan p1 expired at "), expired.getMessage());

        CommandFailure ran = assertThrows(CommandFailure.class, () -> seen("p1", decision("p1", false, "", T0),
                decision("p1", true, "c-1", T0 + MINUTE)).checkWaiting(T0 + 2 * MINUTE));
        assertEquals(ExitCode.UNKNOWN, ran.exitCode());
        assertEquals("plan p1 has already run (approved: overload h1: 1 migration issued); vbal migrations --recent"
                + " shows how they went", ran.getMessage());
    }

    @Test
    void anApprovalThatCouldMoveNothingStillCountsAsRun() {
        Envelope nothing = Envelope.of("balancer:b1", new PlanDecision("p1", "approved: overload h1",
                AutomationLevel.MANUAL, false, 0.3, 0.3, List.of(), List.of("web-1 is already migrating.")), T0 + MINUTE);
        CommandFailure ran = assertThrows(CommandFailure.class,
                () -> seen("p1", decision("p1", false, "", T0), nothing).checkWaiting(T0 + 2 * MINUTE));
        assertTrue(ran.getMessage().startsWith("plan p1 has already run"), ran.getMessage());
    }
}
