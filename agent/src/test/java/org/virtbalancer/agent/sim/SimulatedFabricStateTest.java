package org.virtbalancer.agent.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated hypervisor outlives its agent: a fabric built again on the same state directory
 * (as a restarted agent process builds it) finds its guests and the migrations that ran on without
 * the agent, ended or not, in "hypervisor time".
 */
class SimulatedFabricStateTest {
    private static final String TRACE = "146-179_surfsnel_dsl_internl_net_root";

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.parse("2024-01-01T00:00:00Z"));

    /** 1000 MiB over 100 MiB/s links, nothing dirtied: a live migration of vm takes 10 s of the fabric's clock. */
    private SimulatedFabric fabric(Clock c, double speedup) {
        return SimulatedFabric.builder().clock(c).migrationSpeedup(speedup).traceStep(Duration.ofSeconds(1)).stateDir(dir)
                .host(HostSpec.of("a").withLinkMiBps(100)).host(HostSpec.of("b").withLinkMiBps(100))
                .guest("a", GuestSpec.of("vm").withMemoryMiB(1000).withDirtyRateMiBps(0))
                .guest("a", GuestSpec.of("traced").withVcpus(4).withTrace(TRACE, 3))
                .guest("b", GuestSpec.of("other"))
                .build();
    }

    private static MigrationRequest request(SimulatedFabric f, String guest, Instant deadline) {
        return new MigrationRequest(guest, f.hostFacts("b").orElseThrow(), MigrationMode.LIVE, MigrationOptions.move(), deadline);
    }

    /** The agent that asked for the migration dies at its first progress report; the hypervisor goes on alone. */
    private static void startAndLoseTheAgent(SimulatedFabric f, String guest, Instant deadline) {
        class AgentDied extends RuntimeException {}
        assertThrows(AgentDied.class, () -> f.driver("a").migrate(request(f, guest, deadline), (p, s) -> {
            throw new AgentDied();
        }));
    }

    private static MigrationJob inspect(SimulatedFabric f, String guest) throws Exception {
        return f.driver("a").inspectMigration(guest, "b", f.hostFacts("b"), MigrationMode.LIVE);
    }

    private static long copies(SimulatedFabric f, String guest) {
        return f.hosts().stream().flatMap(h -> f.guests(h).stream()).filter(g -> g.name().equals(guest)).count();
    }

    @Test
    void aGuestThatArrivedPausedIsStillRefusedAfterARestartUntilItHasRun() throws Exception {
        SimulatedFabric before = fabric(Clock.systemUTC(), 1000);
        before.driver("a").migrate(new MigrationRequest("vm", before.hostFacts("b").orElseThrow(), MigrationMode.LIVE,
                MigrationOptions.move().withSuspendOnTarget(true), Instant.now().plusSeconds(60)), (p, s) -> { });

        SimulatedFabric restarted = fabric(Clock.systemUTC(), 1000);
        MigrationRequest back = new MigrationRequest("vm", restarted.hostFacts("a").orElseThrow(), MigrationMode.LIVE,
                MigrationOptions.move(), Instant.now().plusSeconds(60));
        MigrationException refused = assertThrows(MigrationException.class, () -> restarted.driver("b").migrate(back, (p, s) -> { }));
        assertTrue(refused.reason().contains("has not run there since"), refused.reason());

        restarted.resume("b", "vm");
        restarted.driver("b").migrate(back, (p, s) -> { });
        assertEquals(GuestState.RUNNING, restarted.guest("a", "vm").orElseThrow().state());
    }

    @Test
    void aMigrationWhoseAgentDiedRunsOnAndEndsOnTheTargetAtStartPlusDuration() throws Exception {
        SimulatedFabric before = fabric(clock, 1);
        startAndLoseTheAgent(before, "vm", clock.instant().plusSeconds(3600));

        clock.advance(Duration.ofSeconds(4));
        SimulatedFabric restarted = fabric(clock, 1);
        MigrationJob running = inspect(restarted, "vm");
        MigrationJob.Running r = assertInstanceOf(MigrationJob.Running.class, running);
        assertEquals(40, r.percent(), 1);
        assertEquals(Optional.of("a"), restarted.hostOf("vm"), "still running on the source mid-copy");

        clock.advance(Duration.ofSeconds(7));
        MigrationJob.Moved moved = assertInstanceOf(MigrationJob.Moved.class, inspect(restarted, "vm"));
        assertEquals(1000, moved.stats().transferredMiB());
        assertEquals(Optional.of("b"), restarted.hostOf("vm"));
        assertEquals(1, copies(restarted, "vm"), "moved, not copied: undefined on the source");

        SimulatedFabric again = fabric(clock, 1);
        assertEquals(Optional.of("b"), again.hostOf("vm"), "the completion was saved");
        assertInstanceOf(MigrationJob.Moved.class, inspect(again, "vm"));
    }

    @Test
    void aMigrationThatEndedWhileNoProcessRanIsCompletedWhenTheFabricIsBuiltAgain() throws Exception {
        startAndLoseTheAgent(fabric(clock, 1), "vm", clock.instant().plusSeconds(3600));
        clock.advance(Duration.ofSeconds(60));

        SimulatedFabric restarted = fabric(clock, 1);

        assertEquals(Optional.of("b"), restarted.hostOf("vm"));
        assertEquals(GuestState.RUNNING, restarted.guest("b", "vm").orElseThrow().state());
        assertTrue(restarted.guest("a", "vm").isEmpty());
    }

    @Test
    void aMigrationThatFailsWithoutItsAgentLeavesTheGuestOnTheSourceAndSaysWhy() throws Exception {
        SimulatedFabric before = fabric(clock, 1);
        before.failNextMigration("vm", "injected: the migration link dropped");
        startAndLoseTheAgent(before, "vm", clock.instant().plusSeconds(3600));
        clock.advance(Duration.ofSeconds(30));

        SimulatedFabric restarted = fabric(clock, 1);

        MigrationJob.Stayed stayed = assertInstanceOf(MigrationJob.Stayed.class, inspect(restarted, "vm"));
        assertEquals("injected: the migration link dropped", stayed.why());
        assertEquals(500, stayed.stats().transferredMiB(), "it failed half-way");
        assertEquals(Optional.of("a"), restarted.hostOf("vm"));
        assertEquals(1, copies(restarted, "vm"));
    }

    @Test
    void aGuestNeverMigratedStaysWithNoAccountOfAJob() throws Exception {
        SimulatedFabric f = fabric(clock, 1);
        MigrationJob.Stayed stayed = assertInstanceOf(MigrationJob.Stayed.class, inspect(f, "vm"));
        assertEquals("", stayed.why());
        assertEquals(MigrationStats.NONE, stayed.stats());
        assertInstanceOf(MigrationJob.Missing.class, inspect(f, "ghost"));
    }

    @Test
    void aRestartedAgentFollowsTheRunningMigrationToItsEnd() throws Exception {
        // Real time: 1000 MiB at 100 MiB/s, 5 times faster, is 2 s.
        startAndLoseTheAgent(fabric(Clock.systemUTC(), 5), "vm", Instant.now().plusSeconds(3600));
        SimulatedFabric restarted = fabric(Clock.systemUTC(), 5);
        assertInstanceOf(MigrationJob.Running.class, inspect(restarted, "vm"));
        List<Integer> percents = new CopyOnWriteArrayList<>();

        MigrationStats stats = restarted.driver("a").followMigration(request(restarted, "vm", Instant.now().plusSeconds(3600)),
                (p, s) -> percents.add(p));

        assertEquals(1000, stats.transferredMiB());
        assertEquals(100, percents.get(percents.size() - 1));
        assertEquals(Optional.of("b"), restarted.hostOf("vm"));
        assertThrows(MigrationException.class, () -> restarted.driver("a").followMigration(request(restarted, "vm",
                Instant.now().plusSeconds(3600)), (p, s) -> { }), "nothing left to follow, and nothing is started");
        assertEquals(Optional.of("b"), restarted.hostOf("vm"));
    }

    @Test
    void aFollowedMigrationIsAbortedWhenItsDeadlineHasPassed() throws Exception {
        Instant deadline = Instant.now().plusMillis(300);
        startAndLoseTheAgent(fabric(Clock.systemUTC(), 1), "vm", deadline);
        SimulatedFabric restarted = fabric(Clock.systemUTC(), 1);

        MigrationException e = assertThrows(MigrationException.class, () -> restarted.driver("a").followMigration(
                request(restarted, "vm", deadline), (p, s) -> { }));

        assertTrue(e.reason().startsWith("aborted: the deadline"), e.reason());
        assertEquals(Optional.of("a"), restarted.hostOf("vm"));
        assertInstanceOf(MigrationJob.Stayed.class, inspect(restarted, "vm"));
    }

    @Test
    void aCompletionCutShortBetweenTheTargetsAndTheSourcesWriteIsAppliedAgainNotDoubled() throws Exception {
        startAndLoseTheAgent(fabric(clock, 1), "vm", clock.instant().plusSeconds(3600));
        Path sourceFile = dir.resolve("a").resolve(HostStateFile.FILE_NAME);
        byte[] sourceWithTheFlight = Files.readAllBytes(sourceFile);
        clock.advance(Duration.ofSeconds(20));
        assertEquals(Optional.of("b"), fabric(clock, 1).hostOf("vm"));
        // As if the process died after writing the target's file and before the source's.
        Files.write(sourceFile, sourceWithTheFlight);

        SimulatedFabric restarted = fabric(clock, 1);

        assertEquals(Optional.of("b"), restarted.hostOf("vm"));
        assertEquals(1, copies(restarted, "vm"));
        assertInstanceOf(MigrationJob.Moved.class, inspect(restarted, "vm"));
    }

    @Test
    void aRestoredHostKeepsItsGuestsTheirLoadAndTheTraceClockAndANewHostGetsTheBuildersGuests() throws Exception {
        SimulatedFabric before = fabric(clock, 1);
        before.setDirtyRate("vm", 42);
        before.setConstantCpu("other", 1.25);
        before.addGuest("a", GuestSpec.of("late").withState(GuestState.PAUSED).withMemoryMiB(512));
        clock.advance(Duration.ofSeconds(7));
        double tracedCores = before.cpuCores("traced");

        SimulatedFabric restarted = SimulatedFabric.builder().clock(clock).traceStep(Duration.ofSeconds(1)).stateDir(dir)
                .host(HostSpec.of("a").withLinkMiBps(100)).host(HostSpec.of("b").withLinkMiBps(100)).host(HostSpec.of("c"))
                .guest("a", GuestSpec.of("ignored-because-a-has-state"))
                .guest("c", GuestSpec.of("fresh"))
                .build();

        assertEquals(List.of("vm", "traced", "late"), restarted.guests("a").stream().map(GuestDescriptor::name).toList());
        GuestDescriptor late = restarted.guest("a", "late").orElseThrow();
        assertEquals(GuestState.PAUSED, late.state());
        assertEquals(512, late.memoryMiB());
        assertEquals(before.guest("a", "vm").orElseThrow().uuid(), restarted.guest("a", "vm").orElseThrow().uuid());
        assertEquals(42, restarted.driver("a").sampleLoad(Duration.ofSeconds(1)).guests().stream()
                .filter(g -> g.guest().equals("vm")).findFirst().orElseThrow().dirtyRateMiBps());
        assertEquals(1.25, restarted.cpuCores("other"), 1e-9);
        assertEquals(tracedCores, restarted.cpuCores("traced"), 1e-9, "the trace plays on from where it was");
        assertEquals(List.of("fresh"), restarted.guests("c").stream().map(GuestDescriptor::name).toList());
        assertTrue(Files.exists(dir.resolve("c").resolve(HostStateFile.FILE_NAME)));
    }

    @Test
    void anUnreadableStateFileStopsTheFabricWithWhatToDo() throws Exception {
        fabric(clock, 1);
        Path file = dir.resolve("b").resolve(HostStateFile.FILE_NAME);
        Files.writeString(file, "{\"version\":1,\"host\":\"b\",\"guests\":[{\"name\"", StandardCharsets.UTF_8);

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> fabric(clock, 1));

        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("move it away"), e.getMessage());
    }

    @Test
    void aFabricWithoutAStateDirectoryWritesNothing() throws Exception {
        SimulatedFabric f = SimulatedFabric.builder().host(HostSpec.of("a")).guest("a", GuestSpec.of("vm")).build();
        f.setDirtyRate("vm", 5);
        assertTrue(f.stateDir().isEmpty());
        try (var files = Files.list(dir)) {
            assertFalse(files.findAny().isPresent());
        }
    }
}
