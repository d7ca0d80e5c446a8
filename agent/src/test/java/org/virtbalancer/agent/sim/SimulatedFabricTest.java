package org.virtbalancer.agent.sim;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.Disk;
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
import org.virtbalancer.protocol.VirshMigrate;

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

    /** virsh migrate's options as an operator types them, e.g. {@code --live --persistent --timeout 3}. */
    static VirshMigrate virsh(String line) {
        List<String> t = List.of(line.trim().split("\\s+"));
        java.util.function.Function<String, String> value = f -> t.contains(f) ? t.get(t.indexOf(f) + 1) : "";
        java.util.function.Function<String, Long> number = f -> t.contains(f) ? Long.parseLong(value.apply(f)) : 0L;
        return new VirshMigrate(t.contains("--live"), t.contains("--offline"), t.contains("--persistent"),
                t.contains("--undefinesource"), t.contains("--suspend"), t.contains("--copy-storage-all"),
                t.contains("--copy-storage-inc"), t.contains("--parallel"), number.apply("--parallel-connections").intValue(),
                number.apply("--bandwidth"), value.apply("--migrateuri"), t.contains("--unsafe"), t.contains("--auto-converge"),
                t.contains("--postcopy"), number.apply("--timeout"), t.contains("--timeout-postcopy"));
    }

    /** A migration of {@code guest} from host-a to {@code target} with virsh's options; what the driver noted lands in {@code notes}. */
    private MigrationStats migrate(String guest, String target, String virshOptions, List<String> notes) throws MigrationException {
        VirshMigrate v = virsh(virshOptions);
        return a.migrate(request(guest, target, v.mode(), v.options()), new MigrationProgress() {
            @Override
            public void progress(int percent, MigrationStats stats) {
            }

            @Override
            public void note(String text) {
                notes.add(text);
            }
        });
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

        List<String> autoNotes = new CopyOnWriteArrayList<>();
        MigrationStats auto = migrate("heavy1", "host-b", "--live --persistent --undefinesource --auto-converge", autoNotes);
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
        // Throttled after each round from round 2 on, as the model says.
        long throttle = Math.round(100 * (1 - Math.pow(PreCopyModel.AUTO_CONVERGE_FACTOR, pa.rounds() - 1)));
        assertEquals(List.of("auto-converge slowed the guest's vCPUs by up to " + throttle + " %"), autoNotes);
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
        MigrationException nonLiveOfShutOff = assertThrows(MigrationException.class,
                () -> migrate("cold", MigrationMode.NON_LIVE, MigrationOptions.move()));
        assertTrue(nonLiveOfShutOff.reason().contains("not running or paused"), nonLiveOfShutOff.reason());
        assertEquals(GuestState.RUNNING, fabric.guest("host-a", "running").orElseThrow().state());
        assertTrue(fabric.guest("host-b", "running").isEmpty() && fabric.guest("host-b", "cold").isEmpty(), "nothing moved");

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
    void suspendOnTargetLeavesTheGuestPausedAndAGuestPausedBeforehandStaysPaused() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("one"));
        fabric.addGuest("host-a", GuestSpec.of("two").withState(GuestState.PAUSED));
        fabric.addGuest("host-a", GuestSpec.of("three").withState(GuestState.PAUSED));
        fabric.addGuest("host-a", GuestSpec.of("four").withState(GuestState.PAUSED));
        fabric.addGuest("host-a", GuestSpec.of("five"));
        events.clear();

        migrate("one", MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        migrate("two", MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        migrate("three", MigrationMode.LIVE, MigrationOptions.move());
        migrate("four", MigrationMode.NON_LIVE, MigrationOptions.move());
        migrate("five", MigrationMode.NON_LIVE, MigrationOptions.move());

        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "one").orElseThrow().state());
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "two").orElseThrow().state());
        // As on the real test bed (libvirt 9): libvirt adds VIR_MIGRATE_PAUSED itself when the guest is paused as it begins.
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "three").orElseThrow().state(),
                "a guest paused before the migration stays paused on the target");
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "four").orElseThrow().state());
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "five").orElseThrow().state(),
                "a running guest that non-live migration paused runs again on the target");
        assertEquals(List.of("MIGRATED_IN/migrated", "DEFINED/added", "SUSPENDED/paused"), eventsOf("host-b", "one"));
        assertEquals(List.of("MIGRATED_IN/migrated", "DEFINED/added", "SUSPENDED/paused"), eventsOf("host-b", "three"));
        assertEquals("RESUMED/migrated", eventsOf("host-b", "five").get(eventsOf("host-b", "five").size() - 1));

        // Arrived paused and never ran on host-b: QEMU 7.2 would abort moving it on (see PausedArrival), so it is refused.
        MigrationException again = assertThrows(MigrationException.class, () -> b.migrate(new MigrationRequest("one",
                fabric.hostFacts("host-a").orElseThrow(), MigrationMode.LIVE, MigrationOptions.move(), Instant.now().plusSeconds(60)),
                (p, st) -> { }));
        assertTrue(again.reason().contains("has been paused since a migration brought it to host-b and has not run there since"),
                again.reason());
        assertTrue(again.reason().contains("Resume it once (virsh resume one)"), again.reason());
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "one").orElseThrow().state());
        // Once it has run, it moves, and a guest paused again by its owner stays paused on the target.
        fabric.resume("host-b", "one");
        fabric.suspend("host-b", "one");
        b.migrate(new MigrationRequest("one", fabric.hostFacts("host-a").orElseThrow(), MigrationMode.LIVE, MigrationOptions.move(),
                Instant.now().plusSeconds(60)), (p, st) -> { });
        assertEquals(GuestState.PAUSED, fabric.guest("host-a", "one").orElseThrow().state());
        assertTrue(eventsOf("host-b", "one").containsAll(List.of("RESUMED/unpaused", "SUSPENDED/paused")));
    }

    @Test
    void timeoutPausesALiveMigrationThatHasNotConvergedAndTheGuestThenRunsOnTheTarget() throws Exception {
        // 1024 MiB rewritten at 2000 MiB/s over a 1000 MiB/s link never converges (see the test above).
        fabric.addGuest("host-a", GuestSpec.of("db").withMemoryMiB(1024).withDirtyRateMiBps(2000));
        fabric.addGuest("host-a", GuestSpec.of("db2").withMemoryMiB(1024).withDirtyRateMiBps(2000));
        events.clear();
        List<String> notes = new CopyOnWriteArrayList<>();

        MigrationStats stats = migrate("db", "host-b", "--live --persistent --undefinesource --timeout 3", notes);

        // Two whole rounds of 1024 ms, the third cut at 3000 ms, then all memory again while paused.
        assertEquals(4024, stats.elapsedMs());
        assertEquals(1024, stats.downtimeMs(), "paused from the timeout to the end");
        assertEquals(3, stats.rounds());
        assertEquals(1024 + 1024 + 952 + 1024, stats.transferredMiB());
        assertEquals(List.of("paused on host-a when the 3 s timeout passed and completed paused"), notes);
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "db").orElseThrow().state(),
                "libvirt resumes on the target a guest that the timeout paused");
        assertTrue(fabric.guest("host-a", "db").isEmpty());
        assertEquals(List.of("SUSPENDED/paused", "MIGRATED_OUT/migrated", "UNDEFINED/removed"), eventsOf("host-a", "db"));
        assertEquals(List.of("MIGRATED_IN/migrated", "DEFINED/added", "RESUMED/migrated"), eventsOf("host-b", "db"));

        migrate("db2", "host-b", "--live --persistent --undefinesource --suspend --timeout 3", new CopyOnWriteArrayList<>());
        assertEquals(GuestState.PAUSED, fabric.guest("host-b", "db2").orElseThrow().state(), "--suspend still wins");
    }

    @Test
    void aTimeoutThatPassesAfterTheEndOrOnANonLiveMigrationChangesNothing() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("web").withMemoryMiB(4096).withDirtyRateMiBps(100));
        fabric.addGuest("host-a", GuestSpec.of("batch").withMemoryMiB(2048).withDirtyRateMiBps(5000));
        List<String> notes = new CopyOnWriteArrayList<>();

        MigrationStats web = migrate("web", "host-b", "--live --persistent --undefinesource --timeout 60", notes);
        // virsh refuses --timeout without --live; the driver leaves a non-live migration (paused from the start) alone.
        MigrationStats batch = a.migrate(request("batch", "host-b", MigrationMode.NON_LIVE, new MigrationOptions(true, true, false,
                CopyStorage.NONE, 0, "", 0, false, 0, false, false, false, 0, 1, false)), (p, st) -> { });

        PreCopyModel.Prediction p = PreCopyModel.live(4096, 100, 1000, 0, false, false);
        assertEquals(Math.round(p.durationMs()), web.elapsedMs());
        assertEquals(Math.round(p.downtimeMs()), web.downtimeMs());
        assertEquals(List.of(), notes);
        assertEquals(2048, batch.downtimeMs());
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "web").orElseThrow().state());
    }

    @Test
    void aMigrationPausedByItsTimeoutAndThenAbortedLeavesTheGuestRunningOnTheSource() throws Exception {
        SimulatedFabric slow = SimulatedFabric.builder().migrationSpeedup(1)
                .host(HostSpec.of("s1").withLinkMiBps(100)).host(HostSpec.of("s2").withLinkMiBps(100))
                .guest("s1", GuestSpec.of("big").withMemoryMiB(8192).withDirtyRateMiBps(200)).build();
        HypervisorDriver s1 = slow.driver("s1");
        List<String> seen = new CopyOnWriteArrayList<>();
        s1.listen(e -> seen.add(e.kind() + "/" + e.detail()));
        VirshMigrate v = virsh("--live --persistent --undefinesource --timeout 1");
        CompletableFuture<MigrationStats> run = CompletableFuture.supplyAsync(() -> {
            try {
                return s1.migrate(new MigrationRequest("big", slow.hostFacts("s2").orElseThrow(), v.mode(), v.options(),
                        Instant.now().plusSeconds(600)), (p, s) -> { });
            } catch (MigrationException e) {
                throw new RuntimeException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> slow.guest("s1", "big").orElseThrow().state() == GuestState.PAUSED);

        assertTrue(s1.abort("big"));

        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(5, TimeUnit.SECONDS));
        MigrationException cause = assertInstanceOf(MigrationException.class, e.getCause().getCause());
        assertTrue(cause.reason().startsWith("aborted"), cause.reason());
        // As libvirt does (seen on the test bed: "running (migration canceled)"): it restores the state from before the migration.
        assertEquals(GuestState.RUNNING, slow.guest("s1", "big").orElseThrow().state());
        assertTrue(slow.guest("s2", "big").isEmpty());
        assertEquals(List.of("SUSPENDED/paused", "RESUMED/migrated"), seen);
    }

    @Test
    void timeoutPostCopySwitchesToPostCopyAtTheTimeoutInsteadOfAfterRoundTwo() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("heavy1").withMemoryMiB(1024).withDirtyRateMiBps(1500));
        fabric.addGuest("host-a", GuestSpec.of("heavy2").withMemoryMiB(1024).withDirtyRateMiBps(1500));
        List<String> atRounds = new CopyOnWriteArrayList<>();
        List<String> atTimeout = new CopyOnWriteArrayList<>();

        MigrationStats rounds = migrate("heavy1", "host-b", "--live --persistent --undefinesource --postcopy", atRounds);
        MigrationStats timeout = migrate("heavy2", "host-b", "--live --persistent --undefinesource --postcopy --timeout 3"
                + " --timeout-postcopy", atTimeout);

        assertEquals(2, rounds.rounds());
        assertEquals(List.of("switched to post-copy after 2 pre-copy rounds"), atRounds);
        // Rounds until 3000 ms (the third cut after 952 ms), then 300 ms paused and the other 724 MiB pulled in post-copy.
        assertEquals(3, timeout.rounds());
        assertEquals(4024, timeout.elapsedMs());
        assertEquals(PreCopyModel.DEFAULT_MAX_DOWNTIME_MS, timeout.downtimeMs());
        assertEquals(List.of("switched to post-copy when the 3 s timeout passed"), atTimeout);
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "heavy1").orElseThrow().state());
        assertEquals(GuestState.RUNNING, fabric.guest("host-b", "heavy2").orElseThrow().state());
    }

    @Test
    void bandwidthCapsTheCopyAndParallelConnectionsChangeNothingInTheModel() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("capped").withMemoryMiB(2048).withDirtyRateMiBps(0));
        fabric.addGuest("host-a", GuestSpec.of("streams").withMemoryMiB(2048).withDirtyRateMiBps(0));

        MigrationStats capped = migrate("capped", "host-b", "--live --persistent --undefinesource --bandwidth 100",
                new CopyOnWriteArrayList<>());
        MigrationStats streams = migrate("streams", "host-b", "--live --persistent --undefinesource --parallel"
                + " --parallel-connections 4", new CopyOnWriteArrayList<>());

        assertEquals(20480, capped.elapsedMs(), "2048 MiB at the 100 MiB/s cap, not at the 1000 MiB/s link");
        assertEquals(2048, streams.elapsedMs(), "parallel connections are not modelled: link speed");
        assertEquals("host-b", fabric.hostOf("capped").orElseThrow());
        assertEquals("host-b", fabric.hostOf("streams").orElseThrow());
    }

    @Test
    void theMigrateUriMayOnlyNameTheTargetsMigrationAddress() throws Exception {
        fabric.addGuest("host-a", GuestSpec.of("vm"));
        String target = fabric.hostFacts("host-b").orElseThrow().migrationAddress();

        MigrationException elsewhere = assertThrows(MigrationException.class,
                () -> migrate("vm", "host-b", "--live --persistent --undefinesource --migrateuri tcp://203.0.113.9",
                        new CopyOnWriteArrayList<>()));
        assertTrue(elsewhere.reason().contains("does not point at target host host-b's migration address " + target),
                elsewhere.reason());
        assertEquals(MigrationStats.NONE, elsewhere.stats());
        assertTrue(fabric.guest("host-b", "vm").isEmpty(), "nothing reached host-b");

        migrate("vm", "host-b", "--live --persistent --undefinesource --migrateuri tcp://" + target + ":49160",
                new CopyOnWriteArrayList<>());
        assertEquals("host-b", fabric.hostOf("vm").orElseThrow());
    }

    @Test
    void storageIsCheckedAsLibvirtChecksIt() throws Exception {
        StoragePool local = new StoragePool("local", "dir", "/var/lib/libvirt/images", "", "", true);
        SimulatedFabric f = SimulatedFabric.builder().migrationSpeedup(1000)
                .host(HostSpec.of("a").withPools(List.of(HostSpec.SHARED_POOL, local)))
                .host(HostSpec.of("b").withPools(List.of(HostSpec.SHARED_POOL, local)))
                .host(HostSpec.of("c").withPools(List.of(HostSpec.SHARED_POOL)))
                .build();
        java.util.function.Function<String, Disk> localDisk = name -> new Disk("vdb", "disk", "virtio", "none",
                "/var/lib/libvirt/images/" + name + ".qcow2", "local", false);
        f.addGuest("a", GuestSpec.of("loc").withDisks(List.of(localDisk.apply("loc"))));
        f.addGuest("a", GuestSpec.of("inc").withDisks(List.of(localDisk.apply("inc"))));
        f.addGuest("a", GuestSpec.of("risky").withDisks(List.of(localDisk.apply("risky"))));
        f.addGuest("a", GuestSpec.of("wb").withDisks(List.of(new Disk("vda", "disk", "virtio", "writeback",
                "/var/lib/libvirt/images/shared/wb.qcow2", "shared", false))));
        f.addGuest("a", GuestSpec.of("iso").withDisks(List.of(GuestSpec.of("iso").disks().get(0),
                new Disk("sda", "cdrom", "scsi", "", "/var/lib/libvirt/images/install.iso", "local", true))));
        HypervisorDriver fa = f.driver("a");
        java.util.function.BiFunction<String, String, MigrationRequest> req = (guest, line) -> {
            String[] parts = line.split(" ", 2);
            VirshMigrate v = virsh(parts[1]);
            return new MigrationRequest(guest, f.hostFacts(parts[0]).orElseThrow(), v.mode(), v.options(), Instant.now().plusSeconds(60));
        };
        String live = "--live --persistent --undefinesource";

        MigrationException unsafe = assertThrows(MigrationException.class, () -> fa.migrate(req.apply("loc", "b " + live), (p, s) -> { }));
        assertTrue(unsafe.reason().startsWith("libvirt refused to migrate loc to b: Unsafe migration: Migration without shared"
                + " storage is unsafe; the guest stays on a"), unsafe.reason());
        assertTrue(unsafe.reason().contains("copy storage, or allow unsafe migration"), unsafe.reason());
        MigrationException noPool = assertThrows(MigrationException.class,
                () -> fa.migrate(req.apply("loc", "c " + live + " --copy-storage-all"), (p, s) -> { }));
        assertTrue(noPool.reason().contains("no storage pool with matching target path '/var/lib/libvirt/images'"), noPool.reason());
        assertTrue(noPool.reason().contains("Define a storage pool at /var/lib/libvirt/images on c"), noPool.reason());
        fa.migrate(req.apply("loc", "b " + live + " --copy-storage-all"), (p, s) -> { });
        assertEquals("b", f.hostOf("loc").orElseThrow());

        MigrationException incNoImage = assertThrows(MigrationException.class,
                () -> fa.migrate(req.apply("inc", "b " + live + " --copy-storage-inc"), (p, s) -> { }));
        assertTrue(incNoImage.reason().contains("pre-creation of storage targets for incremental storage migration is not"
                + " supported"), incNoImage.reason());
        assertTrue(incNoImage.reason().contains("must already have /var/lib/libvirt/images/inc.qcow2"), incNoImage.reason());
        f.addImage("b", "/var/lib/libvirt/images/inc.qcow2");
        fa.migrate(req.apply("inc", "b " + live + " --copy-storage-inc"), (p, s) -> { });
        assertEquals("b", f.hostOf("inc").orElseThrow());

        fa.migrate(req.apply("risky", "b " + live + " --unsafe"), (p, s) -> { });
        assertEquals("b", f.hostOf("risky").orElseThrow(), "--unsafe lets a local disk go, as virsh's --unsafe does");

        MigrationException cache = assertThrows(MigrationException.class, () -> fa.migrate(req.apply("wb", "b " + live), (p, s) -> { }));
        assertTrue(cache.reason().contains("Migration may lead to data corruption if disks use cache other than none or directsync"),
                cache.reason());
        assertTrue(cache.reason().contains("Set cache='none' on vda"), cache.reason());
        fa.migrate(req.apply("wb", "b " + live + " --unsafe"), (p, s) -> { });
        assertEquals("b", f.hostOf("wb").orElseThrow());

        fa.migrate(req.apply("iso", "b " + live), (p, s) -> { });
        assertEquals("b", f.hostOf("iso").orElseThrow(), "a read-only medium on local storage does not make it unsafe");
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

        fabric.addGuest("host-a", GuestSpec.of("moved"));
        migrate("moved", MigrationMode.LIVE, options(true, true, false));
        assertTrue(fabric.guest("host-b", "moved").orElseThrow().persistent(), "persistent + undefineSource: the true move");
        assertTrue(fabric.guest("host-a", "moved").isEmpty());
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
