package org.virtbalancer.balancer.core;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.aborts;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.migrations;

class ExecutionTest {
    private TestCluster drainingH1() {
        TestCluster c = new TestCluster(BalancerSettings.defaults());
        c.host("h1", 2, guest("a", GuestState.RUNNING)).host("h2", 1).host("h3", 1);
        c.sampleAll(1);
        c.core.onControl(new EnterMaintenance("h1", ""));
        return c;
    }

    @Test
    void abortsAMigrationWithNoFinalResultThirtySecondsAfterItsDeadline() {
        TestCluster c = drainingH1();
        Action.SendMigrate sent = migrations(c.tick()).get(0);
        long deadline = sent.migrate().deadlineTs();
        assertEquals(c.clock.millis() + 60_000, deadline, "a 4 GiB guest at 1000 MiB/s gets the 60 s minimum");

        c.clock.advance(Duration.ofMillis(deadline - c.clock.millis() + 30_000));
        assertEquals(List.of(), aborts(c.tick()), "within the grace period");
        c.clock.advance(Duration.ofMillis(1));
        List<Action> actions = c.tick();
        List<Action.SendAbort> aborts = aborts(actions);
        assertEquals(1, aborts.size());
        assertInstanceOf(Action.SendAbort.class, actions.get(0), "aborts go out first");
        Action.SendAbort abort = aborts.get(0);
        assertEquals("h1", abort.host());
        assertEquals(sent.commandId(), abort.abort().commandId());
        assertEquals("a", abort.abort().guest());
        assertTrue(!abort.commandId().equals(sent.commandId()), "the abort is a command of its own");
        assertEquals(1, c.core.snapshot().migrationsFailed());
        assertEquals(List.of(), c.core.snapshot().inFlight());
    }

    @Test
    void tracksProgressUntilTheFinalResult() {
        TestCluster c = drainingH1();
        Action.SendMigrate sent = migrations(c.tick()).get(0);
        c.core.onCommandResult(new CommandResult(sent.commandId(), "h1", "a", ResultStatus.ACCEPTED, 0, "", null));
        c.core.onCommandResult(new CommandResult(sent.commandId(), "h1", "a", ResultStatus.PROGRESS, 40, "",
                new MigrationStats(1000, 3000, 1, 1000, 0, 0)));
        MigrationSnapshot m = c.core.snapshot().inFlight().get(0);
        assertEquals(40, m.percent());
        assertEquals("h2", m.target());
        c.core.onCommandResult(new CommandResult(sent.commandId(), "h1", "a", ResultStatus.SUCCEEDED, 100, "", null));
        var snapshot = c.core.snapshot();
        assertEquals(List.of(), snapshot.inFlight());
        assertEquals(1, snapshot.migrationsSucceeded());
        assertEquals(1, snapshot.hosts().stream().filter(h -> h.host().equals("h2")).findFirst().orElseThrow().guests(),
                "the guest is on the target in the model at once");
    }
}
