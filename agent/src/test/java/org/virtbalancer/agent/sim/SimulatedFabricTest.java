package org.virtbalancer.agent.sim;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.PreCopyModel;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedFabricTest {
    /** 1000 MiB/s links; migrations play 1000 times faster than real time. */
    private SimulatedFabric fabric;
    private HypervisorDriver a;
    private HypervisorDriver b;
    private final List<DomainEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws DriverException {
        fabric = SimulatedFabric.builder()
                .migrationSpeedup(1000)
                .host(HostSpec.of("host-a").withLinkMiBps(1000))
                .host(HostSpec.of("host-b").withLinkMiBps(1000).withMemoryMiB(16384))
                .build();
        a = fabric.driver("host-a");
        b = fabric.driver("host-b");
        a.listen(events::add);
        b.listen(events::add);
    }

    private static MigrationOptions options(boolean persistent, boolean undefineSource, boolean suspend) {
        return new MigrationOptions(persistent, undefineSource, suspend, CopyStorage.NONE, 0, "", 0, false, 0, false, false,
                false, 0, 0, false);
    }

    private static MigrationOptions converging(boolean autoConverge, boolean postCopy) {
        return new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 0, false, 0, autoConverge, postCopy, false, 0, 0, false);
    }

    private MigrationRequest request(String guest, String target, MigrationMode mode, MigrationOptions o) {
        return new MigrationRequest(guest, fabric.hostFacts(target).orElseThrow(), mode, o, Instant.now().plusSeconds(600));
    }

    private MigrationStats migrate(String guest, MigrationMode mode, MigrationOptions o) throws MigrationException {
        return a.migrate(request(guest, "host-b", mode, o), (p, s) -> { });
    }

    private List<String> eventsOf(String host, String guest) {
        return events.stream().filter(e -> e.host().equals(host) && e.guest().equals(guest))
                .map(e -> e.kind() + "/" + e.detail()).toList();
    }

    @Test
    void simulatedHostsShareOneNfsPoolAndTheQemuIdentityUnlessTheSpecSaysOtherwise() throws Exception {
        HostFacts facts = a.hostFacts();
        assertEquals(List.of(HostSpec.SHARED_POOL), facts.pools());
        assertEquals(new QemuIdentity(64055, Map.of("kvm", 994L, "libvirt", 995L)), facts.qemu());
        String guestPool = GuestSpec.of("web").disks().get(0).pool();
        assertEquals(guestPool, facts.pools().get(0).name(), "the default guest's disk sits in the shared pool");

        StoragePool local = new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", true);
        SimulatedFabric odd = SimulatedFabric.builder()
                .host(HostSpec.of("odd").withPools(List.of(local)).withQemu(new QemuIdentity(107, Map.of("qemu", 107L))))
                .build();
        HostFacts oddFacts = odd.hostFacts("odd").orElseThrow();
        assertEquals(List.of(local), oddFacts.pools());
        assertEquals(107, oddFacts.qemu().uid());
    }

    @Test
    void liveMigrationConvergesAsThePreCopyModelPredicts() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("web").withMemoryMiB(4096).withDirtyRateMiBps(100));
        events.clear();

        MigrationStats stats = migrate("web", MigrationMode.LIVE, MigrationOptions.move());

        PreCopyModel.Prediction p = PreCopyModel.live(4096, 100, 1000, 0, false, false);
        assertTrue(p.converges());
        assertEquals(p.rounds(), stats.rounds());
        assertEquals(Math.round(p.transferredMiB()), stats.transferredMiB());
        assertEquals(Math.round(p.downtimeMs()), stats.downtimeMs());
        assertEquals(Math.round(p.durationMs()), stats.elapsedMs());
        assertEquals(0, stats.remainingMiB());
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "web").orElseThrow().state());
        assertTrue(fabric.guest("host-a", "web").isEmpty(), "undefineSource removes the source definition");
        assertEquals(List.of("MIGRATED_OUT/migrated", "UNDEFINED/removed"), eventsOf("host-a", "web"));
        assertEquals(List.of("MIGRATED_IN/migrated", "DEFINED/added", "RESUMED/migrated"), eventsOf("host-b", "web"));
    }

    @Test
    void liveMigrationThatDoesNotConvergeFailsWithTheModelsReasonAndLeavesTheGuest() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("db").withMemoryMiB(1024).withDirtyRateMiBps(2000));

        MigrationException e = assertThrows(MigrationException.class, () -> migrate("db", MigrationMode.LIVE, MigrationOptions.move()));

        assertTrue(e.reason().contains(PreCopyModel.live(1024, 2000, 1000, 0, false, false).reason()), e.reason());
        assertEquals(PreCopyModel.MAX_ROUNDS, e.stats().rounds());
        assertEquals(GuestState.RUNNING, fabric.guest("host-a", "db").orElseThrow().state());
        assertTrue(fabric.guest("host-b", "db").isEmpty());
        // The failed attempt released its memory reservation on the target.
        fabric.setDirtyRate("db", 10);
        migrate("db", MigrationMode.LIVE, MigrationOptions.move());
        assertEquals("host-b", fabric.hostOf("db").orElseThrow());
    }

    @Test
    void autoConvergeAndPostCopyLetAHeavyWriterMove() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("heavy1").withMemoryMiB(1024).withDirtyRateMiBps(1500));
        fabric.addGuest("host-a", GuestSpec.of("heavy2").withMemoryMiB(1024).withDirtyRateMiBps(1500));
        assertFalse(PreCopyModel.live(1024, 1500, 1000, 0, false, false).converges());

        MigrationStats auto = migrate("heavy1", MigrationMode.LIVE, converging(true, false));
        MigrationStats post = migrate("heavy2", MigrationMode.LIVE, converging(false, true));

        PreCopyModel.Prediction pa = PreCopyModel.live(1024, 1500, 1000, 0, true, false);
        PreCopyModel.Prediction pp = PreCopyModel.live(1024, 1500, 1000, 0, false, true);
        assertEquals(pa.rounds(), auto.rounds());
        assertEquals(Math.round(pa.downtimeMs()), auto.downtimeMs());
        assertEquals(pp.rounds(), post.rounds());
        assertEquals(2, post.rounds(), "post-copy switches over after round 2");
        assertTrue(post.downtimeMs() <= PreCopyModel.DEFAULT_MAX_DOWNTIME_MS);
        assertEquals(Math.round(pp.durationMs()), post.elapsedMs());
        assertEquals("host-b", fabric.hostOf("heavy1").orElseThrow());
        assertEquals("host-b", fabric.hostOf("heavy2").orElseThrow());
    }

    @Test
    void nonLiveMigrationPausesForTheWholeCopy() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("batch").withMemoryMiB(2048).withDirtyRateMiBps(5000));
        events.clear();

        MigrationStats stats = migrate("batch", MigrationMode.NON_LIVE, MigrationOptions.move());

        assertEquals(2048, stats.transferredMiB());
        assertEquals(2048, stats.downtimeMs(), "2048 MiB at 1000 MiB/s, all of it paused");
        assertEquals(stats.elapsedMs(), stats.downtimeMs());
        assertEquals(0, stats.rounds());
        assertEquals(List.of("SUSPENDED/migrated", "MIGRATED_OUT/migrated", "UNDEFINED/removed"), eventsOf("host-a", "batch"));
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "batch").orElseThrow().state());
    }

    @Test
    void offlineMigrationMovesOnlyTheDefinitionOfAShutOffPersistentGuest() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("running"));
        fabric.addGuest("host-a", GuestSpec.of("cold").withState(GuestState.SHUTOFF));
        events.clear();

        MigrationException running = assertThrows(MigrationException.class,
                () -> migrate("running", MigrationMode.OFFLINE, MigrationOptions.move()));
        assertTrue(running.reason().contains("shut-off"), running.reason());
        MigrationException notPersistent = assertThrows(MigrationException.class,
                () -> migrate("cold", MigrationMode.OFFLINE, options(false, false, false)));
        assertTrue(notPersistent.reason().contains("persistent"), notPersistent.reason());
        MigrationException liveOfShutOff = assertThrows(MigrationException.class,
                () -> migrate("cold", MigrationMode.LIVE, MigrationOptions.move()));
        assertTrue(liveOfShutOff.reason().contains("OFFLINE"), liveOfShutOff.reason());

        MigrationStats stats = migrate("cold", MigrationMode.OFFLINE, options(true, false, false));

        assertEquals(0, stats.transferredMiB());
        GuestDescriptor moved = fabric.guest("host-b", "cold").orElseThrow();
        assertEquals(GuestState.SHUTOFF, moved.state());
        assertTrue(moved.persistent());
        assertTrue(fabric.guest("host-a", "cold").isPresent(), "without undefineSource the source keeps its definition");
        assertEquals(List.of("DEFINED/added"), eventsOf("host-b", "cold"));

        fabric.removeGuest("host-b", "cold");
        events.clear();
        migrate("cold", MigrationMode.OFFLINE, MigrationOptions.move());
        assertTrue(fabric.guest("host-a", "cold").isEmpty());
        assertEquals(List.of("UNDEFINED/removed"), eventsOf("host-a", "cold"));
    }

    @Test
    void suspendOnTargetLeavesTheGuestPausedAndAPausedGuestIsOtherwiseResumed() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("one"));
        fabric.addGuest("host-a", GuestSpec.of("two").withState(GuestState.PAUSED));
        fabric.addGuest("host-a", GuestSpec.of("three").withState(GuestState.PAUSED));
        events.clear();

        migrate("one", MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        migrate("two", MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        migrate("three", MigrationMode.LIVE, MigrationOptions.move());

        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "one").orElseThrow().state());
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "two").orElseThrow().state());
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "three").orElseThrow().state(),
                "libvirt resumes a paused guest on the target unless told to leave it paused");
        assertEquals("SUSPENDED/paused", eventsOf("host-b", "one").get(eventsOf("host-b", "one").size() - 1));
        assertEquals("RESUMED/migrated", eventsOf("host-b", "three").get(eventsOf("host-b", "three").size() - 1));
    }

    @Test
    void definitionsFollowPersistentAndUndefineSource() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("keep"));
        fabric.addGuest("host-a", GuestSpec.of("transient-copy"));
        fabric.addGuest("host-a", GuestSpec.of("was-transient").withPersistent(false));

        migrate("keep", MigrationMode.LIVE, options(true, false, false));
        migrate("transient-copy", MigrationMode.LIVE, options(false, false, false));
        migrate("was-transient", MigrationMode.LIVE, options(false, false, false));

        assertTrue(fabric.guest("host-b", "keep").orElseThrow().persistent());
        GuestDescriptor left = fabric.guest("host-a", "keep").orElseThrow();
        assertEquals(GuestState.SHUTOFF, left.state(), "the source keeps a shut-off definition");
        assertTrue(left.persistent());

        assertFalse(fabric.guest("host-b", "transient-copy").orElseThrow().persistent(), "without persistent the target copy is transient");
        assertEquals(GuestState.SHUTOFF, fabric.guest("host-a", "transient-copy").orElseThrow().state());

        assertFalse(fabric.guest("host-b", "was-transient").orElseThrow().persistent());
        assertTrue(fabric.guest("host-a", "was-transient").isEmpty(), "a transient guest leaves nothing behind");
    }

    @Test
    void aSameNamedRunningGuestOnTheTargetBlocksTheMigrationButAShutOffOneIsOverwritten() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("app"));
        fabric.addGuest("host-b", GuestSpec.of("app").withState(GuestState.SHUTOFF).withMemoryMiB(512));
        fabric.addGuest("host-a", GuestSpec.of("twin"));
        fabric.addGuest("host-b", GuestSpec.of("twin").withState(GuestState.PAUSED));
        events.clear();

        migrate("app", MigrationMode.LIVE, MigrationOptions.move());
        MigrationException clash = assertThrows(MigrationException.class, () -> migrate("twin", MigrationMode.LIVE, MigrationOptions.move()));

        GuestDescriptor app = fabric.guest("host-b", "app").orElseThrow();
        assertEquals(GuestState.RUNNING, app.state());
        assertEquals(2048, app.memoryMiB(), "the shut-off definition was overwritten by the incoming guest");
        assertTrue(eventsOf("host-b", "app").contains("DEFINED/updated"), eventsOf("host-b", "app").toString());
        assertTrue(clash.reason().contains("already paused on host-b"), clash.reason());
        assertEquals(GuestState.RUNNING, fabric.guest("host-a", "twin").orElseThrow().state());
    }

    @Test
    void theTargetMustBeAnotherHostOfTheFabricWithTheSameArchAndFreeMemory() throws Exception {
        fabric.addHost(HostSpec.of("arm-1").withArch("aarch64"));
        fabric.addHost(HostSpec.of("tiny").withMemoryMiB(1024));
        fabric.addGuest("host-a", GuestSpec.of("vm").withMemoryMiB(2048));

        MigrationException arch = assertThrows(MigrationException.class,
                () -> a.migrate(request("vm", "arm-1", MigrationMode.LIVE, MigrationOptions.move()), (p, s) -> { }));
        assertTrue(arch.reason().contains("architecture"), arch.reason());
        MigrationException memory = assertThrows(MigrationException.class,
                () -> a.migrate(request("vm", "tiny", MigrationMode.LIVE, MigrationOptions.move()), (p, s) -> { }));
        assertTrue(memory.reason().contains("MiB free"), memory.reason());
        MigrationException self = assertThrows(MigrationException.class,
                () -> a.migrate(request("vm", "host-a", MigrationMode.LIVE, MigrationOptions.move()), (p, s) -> { }));
        assertTrue(self.reason().contains("different target"), self.reason());
        SimulatedFabric other = SimulatedFabric.builder().host(HostSpec.of("elsewhere")).build();
        MigrationException foreign = assertThrows(MigrationException.class, () -> a.migrate(new MigrationRequest("vm",
                other.hostFacts("elsewhere").orElseThrow(), MigrationMode.LIVE, MigrationOptions.move(),
                Instant.now().plusSeconds(60)), (p, s) -> { }));
        assertTrue(foreign.reason().contains("not part of this simulated fabric"), foreign.reason());
    }

    @Test
    void anInjectedFailureFailsTheNextMigrationOnly() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("flaky"));
        fabric.failNextMigration("flaky", "injected: link to host-b dropped");

        MigrationException e = assertThrows(MigrationException.class, () -> migrate("flaky", MigrationMode.LIVE, MigrationOptions.move()));

        assertEquals("injected: link to host-b dropped", e.reason());
        assertTrue(e.stats().transferredMiB() > 0, "it fails half-way");
        assertEquals("host-a", fabric.hostOf("flaky").orElseThrow());
        migrate("flaky", MigrationMode.LIVE, MigrationOptions.move());
        assertEquals("host-b", fabric.hostOf("flaky").orElseThrow());
    }

    @Test
    void abortStopsAMigrationMidFlightAndTheGuestStays() throws Exception {
        SimulatedFabric slow = SimulatedFabric.builder().migrationSpeedup(1)
                .host(HostSpec.of("s1").withLinkMiBps(100)).host(HostSpec.of("s2").withLinkMiBps(100))
                .guest("s1", GuestSpec.of("big").withMemoryMiB(8192)).build();
        HypervisorDriver s1 = slow.driver("s1");
        AtomicInteger reports = new AtomicInteger();
        CompletableFuture<MigrationStats> run = CompletableFuture.supplyAsync(() -> {
            try {
                return s1.migrate(new MigrationRequest("big", slow.hostFacts("s2").orElseThrow(), MigrationMode.LIVE,
                        MigrationOptions.move(), Instant.now().plusSeconds(600)), (p, s) -> reports.incrementAndGet());
            } catch (MigrationException e) {
                throw new RuntimeException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> reports.get() >= 2);

        assertTrue(s1.abort("big"));

        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(5, TimeUnit.SECONDS));
        MigrationException cause = assertInstanceOf(MigrationException.class, e.getCause().getCause());
        assertTrue(cause.reason().startsWith("aborted"), cause.reason());
        assertEquals("s1", slow.hostOf("big").orElseThrow());
        assertFalse(s1.abort("big"), "nothing left to abort");
    }

    @Test
    void aDeadlineThatPassesMidFlightAbortsTheMigration() {
        SimulatedFabric slow = SimulatedFabric.builder().migrationSpeedup(1)
                .host(HostSpec.of("s1").withLinkMiBps(100)).host(HostSpec.of("s2").withLinkMiBps(100))
                .guest("s1", GuestSpec.of("big").withMemoryMiB(8192)).build();
        MigrationException e = assertThrows(MigrationException.class, () -> slow.driver("s1").migrate(new MigrationRequest("big",
                slow.hostFacts("s2").orElseThrow(), MigrationMode.LIVE, MigrationOptions.move(), Instant.now().plusMillis(300)),
                (p, s) -> { }));
        assertTrue(e.reason().contains("deadline"), e.reason());
        assertEquals("s1", slow.hostOf("big").orElseThrow());
    }

    @Test
    void progressIsReportedAtLeastEveryQuarterSecond() throws Exception {
        SimulatedFabric slow = SimulatedFabric.builder().migrationSpeedup(2)
                .host(HostSpec.of("s1").withLinkMiBps(1000)).host(HostSpec.of("s2").withLinkMiBps(1000))
                .guest("s1", GuestSpec.of("vm").withMemoryMiB(2048).withDirtyRateMiBps(0)).build();
        List<Long> times = new CopyOnWriteArrayList<>();
        List<Integer> percents = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        slow.driver("s1").migrate(new MigrationRequest("vm", slow.hostFacts("s2").orElseThrow(), MigrationMode.LIVE,
                MigrationOptions.move(), Instant.now().plusSeconds(60)), (p, s) -> {
            times.add(System.nanoTime());
            percents.add(p);
        });
        long end = System.nanoTime();
        long previous = start;
        for (long t : times) {
            assertTrue(t - previous <= TimeUnit.MILLISECONDS.toNanos(250), "gap of " + (t - previous) / 1_000_000 + " ms");
            previous = t;
        }
        assertTrue(end - previous <= TimeUnit.MILLISECONDS.toNanos(250));
        assertEquals(100, percents.get(percents.size() - 1));
        for (int i = 1; i < percents.size(); i++) {
            assertTrue(percents.get(i) >= percents.get(i - 1), "progress never goes back: " + percents);
        }
    }

    @Test
    void guestCpuFollowsItsShippedTraceAtTheTraceStep() throws Exception {
        PlanetLabTraces traces = PlanetLabTraces.shipped();
        String trace = "146-179_surfsnel_dsl_internl_net_root";
        int[] samples = traces.samples(trace);
        assertEquals(List.of(47, 4, 38), List.of(samples[0], samples[1], samples[2]), "first samples of the original file");
        MutableClock clock = new MutableClock(Instant.parse("2024-01-01T00:00:00Z"));
        SimulatedFabric traced = SimulatedFabric.builder().clock(clock).traceStep(Duration.ofSeconds(1))
                .host(HostSpec.of("h"))
                .guest("h", GuestSpec.of("t0").withVcpus(4).withTrace(trace, 0))
                .guest("h", GuestSpec.of("t5").withVcpus(2).withTrace(trace, 5))
                .build();

        assertEquals(4 * samples[0] / 100.0, traced.cpuCores("t0"), 1e-9);
        assertEquals(2 * samples[5] / 100.0, traced.cpuCores("t5"), 1e-9);
        clock.advance(Duration.ofMillis(2500));
        assertEquals(4 * samples[2] / 100.0, traced.cpuCores("t0"), 1e-9);
        assertEquals(2 * samples[7] / 100.0, traced.cpuCores("t5"), 1e-9);
        clock.advance(Duration.ofSeconds(PlanetLabTraces.SAMPLES));
        assertEquals(4 * samples[2] / 100.0, traced.cpuCores("t0"), 1e-9, "wraps after 288 samples");

        var load = traced.driver("h").sampleLoad(Duration.ofSeconds(10));
        assertEquals(4 * samples[2] / 100.0 + 2 * samples[7] / 100.0, load.cpuCores(), 1e-9);
        assertEquals(2, load.guests().size());

        traced.setConstantCpu("t0", 3.5);
        assertEquals(3.5, traced.cpuCores("t0"), 1e-9);
        assertEquals(PlanetLabTraces.SAMPLES, samples.length);
        assertTrue(traces.size() > 1000, "the whole day of 20110303 is shipped");
    }

    @Test
    void loadingAHostSpreadsTheLoadOverItsRunningGuestsOnly() throws Exception {
        SimulatedFabric f = SimulatedFabric.builder()
                .host(HostSpec.of("h").withCpus(16))
                .guest("h", GuestSpec.of("r1").withTrace("146-179_surfsnel_dsl_internl_net_root", 0))
                .guest("h", GuestSpec.of("r2").withConstantCpu(0.1))
                .guest("h", GuestSpec.of("p").withState(GuestState.PAUSED))
                .guest("h", GuestSpec.of("off").withState(GuestState.SHUTOFF))
                .build();

        assertEquals(2, f.loadHost("h", 0.95));

        assertEquals(0.95 * 16 / 2, f.cpuCores("r1"), 1e-9);
        assertEquals(0.95 * 16 / 2, f.cpuCores("r2"), 1e-9);
        assertEquals(0.95 * 16, f.driver("h").sampleLoad(Duration.ofSeconds(10)).cpuCores(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> f.loadHost("h", Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> f.loadHost("nowhere", 0.5));
    }

    @Test
    void hostsAndGuestsComeAndGoAtRuntimeWithEvents() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("late").withState(GuestState.PAUSED));
        assertEquals(List.of("DEFINED/added", "STARTED/booted", "SUSPENDED/paused"), eventsOf("host-a", "late"));
        fabric.removeGuest("host-a", "late");
        assertTrue(eventsOf("host-a", "late").containsAll(List.of("STOPPED/destroyed", "UNDEFINED/removed")));
        fabric.addHost(HostSpec.of("host-c"));
        assertTrue(fabric.hosts().contains("host-c"));
        HypervisorDriver c = fabric.driver("host-c");
        fabric.removeHost("host-c");
        assertThrows(DriverException.class, c::hostFacts);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> fabric.addHost(HostSpec.of("host-a")));
        assertTrue(twice.getMessage().contains("pick another id"));
    }
}
