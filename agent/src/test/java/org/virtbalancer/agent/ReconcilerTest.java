package org.virtbalancer.agent;

import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decisions an agent makes after its restart about migrations it accepted before, against a driver that answers as told. */
class ReconcilerTest {
    private static final long ACCEPTED_AT = 1_700_000_000_000L;
    private static final HostFacts B = SimulatedFabric.builder().host(HostSpec.of("host-b")).build().hostFacts("host-b").orElseThrow();

    private final Codec codec = new Codec();
    private final FakeDriver driver = new FakeDriver();
    private final Map<String, HostFacts> inventory = new java.util.HashMap<>(Map.of("host-b", B));
    private final Reconciler reconciler = new Reconciler("host-a", driver, codec, id -> Optional.ofNullable(inventory.get(id)));

    private static Migrate migrate(MigrationMode mode, long abortAfterS) {
        MigrationOptions o = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 0, false, 0, false, false, false,
                abortAfterS, 0, false);
        return new Migrate("web", "host-a", "host-b", mode, o, ACCEPTED_AT + 600_000, "test");
    }

    private ExecutedCommands.Unfinished unfinished(Migrate m) {
        return new ExecutedCommands.Unfinished(m.guest(), codec.toJson(m), ACCEPTED_AT, 0);
    }

    private Reconciler.Report report(MigrationJob answer) throws DriverException {
        driver.answer = answer;
        return assertInstanceOf(Reconciler.Report.class, reconciler.decide(unfinished(migrate(MigrationMode.LIVE, 0)), false));
    }

    @Test
    void aMigrationTheHypervisorStillRunsIsFollowedUnderItsOriginalDeadlineNeverStartedAgain() throws Exception {
        driver.answer = new MigrationJob.Running(40, MigrationStats.NONE);
        Migrate m = migrate(MigrationMode.LIVE, 0);

        Reconciler.Follow follow = assertInstanceOf(Reconciler.Follow.class, reconciler.decide(unfinished(m), false));

        assertEquals(m, follow.command());
        assertSame(B, follow.target());
        assertEquals(new MigrationRequest("web", B, MigrationMode.LIVE, m.options(), Instant.ofEpochMilli(m.deadlineTs())),
                follow.request());
        assertEquals(List.of("inspect web -> host-b LIVE known=true"), driver.calls, "asked, not told to migrate");
    }

    @Test
    void abortAfterCountsFromWhenTheCommandWasAccepted() throws Exception {
        driver.answer = new MigrationJob.Running(10, MigrationStats.NONE);

        Reconciler.Follow follow = assertInstanceOf(Reconciler.Follow.class,
                reconciler.decide(unfinished(migrate(MigrationMode.LIVE, 30)), false));

        assertEquals(Instant.ofEpochMilli(ACCEPTED_AT + 30_000), follow.request().deadline());
    }

    @Test
    void aGuestFoundOnTheTargetIsReportedSucceededWithWhatTheHypervisorKnows() throws Exception {
        MigrationStats stats = new MigrationStats(2048, 0, 2, 1800, 20, 5);

        Reconciler.Report r = report(new MigrationJob.Moved(stats));

        assertEquals(ResultStatus.SUCCEEDED, r.status());
        assertTrue(r.reason().startsWith("migrated web to host-b (the agent on host host-a restarted while this migration ran"),
                r.reason());
        assertEquals(stats, r.stats());
    }

    @Test
    void aGuestStillOnTheSourceIsReportedFailedWithTheHypervisorsReason() throws Exception {
        MigrationStats stats = new MigrationStats(700, 300, 1, 900, 0, 5);

        Reconciler.Report r = report(new MigrationJob.Stayed("migration of web to host-b failed: did not converge", stats));

        assertEquals(ResultStatus.FAILED, r.status());
        assertEquals("migration of web to host-b failed: did not converge (the agent on host host-a restarted while this"
                + " migration ran; guest web is on host-a)", r.reason());
        assertEquals(stats, r.stats());
    }

    @Test
    void aMigrationWithoutAnyRecordInTheHypervisorIsReportedFailedAndLeftForTheBalancerToReissue() throws Exception {
        Reconciler.Report r = report(new MigrationJob.Stayed("", MigrationStats.NONE));

        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("guest web is still on host-a and no migration of it runs, nor has the hypervisor a"
                + " record of one (it never started") && r.reason().contains("reissue the command"), r.reason());
    }

    @Test
    void aGuestOnNeitherHostIsReportedFailedAskingTheOperatorToLook() throws Exception {
        Reconciler.Report r = report(new MigrationJob.Missing("guest web is on neither host-a nor host-b"));

        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("guest web is on neither host-a nor host-b: check the inventory"), r.reason());
    }

    @Test
    void aResultAlreadyOnTheTopicIsNotReportedAgainAndTheHypervisorIsNotAsked() throws Exception {
        driver.answer = new MigrationJob.Moved(MigrationStats.NONE);

        assertInstanceOf(Reconciler.AlreadyReported.class, reconciler.decide(unfinished(migrate(MigrationMode.LIVE, 0)), true));

        assertEquals(List.of(), driver.calls);
    }

    @Test
    void aTargetThatLeftTheInventoryIsStillFollowedByItsIdFromThisHost() throws Exception {
        inventory.clear();
        driver.answer = new MigrationJob.Running(50, MigrationStats.NONE);

        Reconciler.Follow follow = assertInstanceOf(Reconciler.Follow.class,
                reconciler.decide(unfinished(migrate(MigrationMode.OFFLINE, 0)), false));

        assertEquals("host-b", follow.request().target().host());
        assertEquals(List.of("inspect web -> host-b OFFLINE known=false"), driver.calls);
    }

    @Test
    void aCommandAcceptedByAnOlderVersionIsJudgedByWhetherTheGuestIsStillHere() throws Exception {
        driver.guests = List.of(new GuestDescriptor("web", "u-1", GuestState.RUNNING, true, 2, 2048, "custom", List.of(),
                List.of(), false, Map.of()));

        Reconciler.Report r = assertInstanceOf(Reconciler.Report.class,
                reconciler.decide(new ExecutedCommands.Unfinished("web", "", 0, 0), false));

        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("restarted while this migration ran; guest web is running on host-a"), r.reason());
        assertEquals(List.of("guests"), driver.calls);
    }

    @Test
    void aHypervisorThatCannotAnswerLeavesTheDecisionForLater() {
        driver.failure = new DriverException("libvirt at qemu:///system has been unreachable since …");

        assertThrows(DriverException.class, () -> reconciler.decide(unfinished(migrate(MigrationMode.LIVE, 0)), false));
    }

    /** Answers inspectMigration as told and records what it was asked; starting or following a migration fails the test. */
    private static final class FakeDriver implements HypervisorDriver {
        MigrationJob answer;
        DriverException failure;
        List<GuestDescriptor> guests = List.of();
        final List<String> calls = new ArrayList<>();

        @Override
        public MigrationJob inspectMigration(String guest, String target, Optional<HostFacts> targetFacts, MigrationMode mode)
                throws DriverException {
            if (failure != null) {
                throw failure;
            }
            calls.add("inspect " + guest + " -> " + target + " " + mode + " known=" + targetFacts.isPresent());
            return answer;
        }

        @Override
        public List<GuestDescriptor> guests() {
            calls.add("guests");
            return guests;
        }

        @Override
        public HostFacts hostFacts() {
            throw new AssertionError("not needed");
        }

        @Override
        public HostLoad sampleLoad(Duration interval) {
            throw new AssertionError("not needed");
        }

        @Override
        public void listen(Consumer<DomainEvent> listener) {
            throw new AssertionError("not needed");
        }

        @Override
        public MigrationStats migrate(MigrationRequest request, MigrationProgress progress) {
            throw new AssertionError("a reconciliation must never start a migration");
        }

        @Override
        public MigrationStats followMigration(MigrationRequest request, MigrationProgress progress) {
            throw new AssertionError("deciding follows nothing by itself");
        }

        @Override
        public boolean abort(String guest) {
            throw new AssertionError("a reconciliation aborts nothing");
        }

        @Override
        public void close() {
        }
    }
}
