package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.VirshMigrate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/**
 * Real QEMU guests migrating between two real libvirt daemons, driven only by Kafka commands to
 * the real agent; every outcome is checked with libvirt itself and with the guest's own serial
 * output (its counter must never restart). Options are given as virsh's, so each test reads as the
 * {@code virsh migrate} an operator would type; where one migration checks several of them, its
 * comment says which.
 */
@ExtendWith({Broker.class, LibvirtTestbed.Resolver.class})
class RealLibvirtMigrationTest {
    private static final Duration MIGRATION = Duration.ofSeconds(90);
    private RealHostsFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    private void start(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        fx = new RealHostsFixture(broker, bed, false);
        fx.awaitAgentsKnowEachOther();
    }

    private void runningCounter(LibvirtTestbed bed, String name) {
        bed.define(HOST_A, bed.guestXml(name, "counter", ""), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount(name, "counter") >= 2);
    }

    private void runningDirty(LibvirtTestbed bed, String name) {
        bed.define(HOST_A, bed.guestXml(name, "dirty", ""), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.serial(name).contains("dirty "));
    }

    private void assertMovedAndKeptState(LibvirtTestbed bed, String name, String stateOnB, boolean persistentOnB) {
        assertEquals("absent", bed.state(HOST_A, name), name + " must be gone from A");
        assertRunsOnWithItsState(bed, HOST_B, name, stateOnB, persistentOnB);
    }

    /** Libvirt has the guest on {@code host} in that state and persistence, and its counter went on from where it was. */
    private void assertRunsOnWithItsState(LibvirtTestbed bed, String host, String name, String state, boolean persistent) {
        assertEquals(state, bed.state(host, name));
        assertEquals(persistent, bed.persistent(host, name), name + "'s persistence on " + host);
        long before = bed.lastCount(name, "counter");
        if (state.equals("running")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount(name, "counter") > before);
        }
        assertEquals(1, bed.starts(name, "counter"), name + "'s counter restarted: its state did not move");
    }

    /** virsh migrate's options as an operator types them, e.g. {@code --live --persistent --timeout 3}. */
    private static VirshMigrate virsh(String line) {
        List<String> t = List.of(line.trim().split("\\s+"));
        java.util.function.Function<String, String> value = f -> t.contains(f) ? t.get(t.indexOf(f) + 1) : "";
        java.util.function.Function<String, Long> number = f -> t.contains(f) ? Long.parseLong(value.apply(f)) : 0L;
        return new VirshMigrate(t.contains("--live"), t.contains("--offline"), t.contains("--persistent"),
                t.contains("--undefinesource"), t.contains("--suspend"), t.contains("--copy-storage-all"),
                t.contains("--copy-storage-inc"), t.contains("--parallel"), number.apply("--parallel-connections").intValue(),
                number.apply("--bandwidth"), value.apply("--migrateuri"), t.contains("--unsafe"), t.contains("--auto-converge"),
                t.contains("--postcopy"), number.apply("--timeout"), t.contains("--timeout-postcopy"));
    }

    /** Sends a Migrate with virsh's options; returns the command id. */
    private String migrate(String guest, String from, String to, String virshOptions) throws Exception {
        VirshMigrate v = virsh(virshOptions);
        return fx.migrate(guest, from, to, v.mode(), v.options());
    }

    private CommandResult succeeded(String commandId) {
        CommandResult r = fx.finalResult(commandId, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        return r;
    }

    private CommandResult failed(String commandId) {
        CommandResult r = fx.finalResult(commandId, MIGRATION);
        assertEquals(ResultStatus.FAILED, r.status(), r.reason());
        return r;
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    @Test
    void liveMigrationKeepsTheGuestsStateAndItsDefinitionsFollowPersistentAndUndefineSource(EmbeddedKafka broker,
            LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        for (String g : List.of("live1", "tr1", "keep1")) {
            bed.define(HOST_A, bed.guestXml(g, "counter", ""), true);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> List.of("live1", "tr1", "keep1").stream()
                .allMatch(g -> bed.lastCount(g, "counter") >= 2));

        // --migrateuri must name the target's migration address: A's own is refused before libvirt is asked.
        CommandResult elsewhere = failed(migrate("tr1", HOST_A, HOST_B, "--live --migrateuri tcp://10.77.0.1:49210"));
        assertTrue(elsewhere.reason().contains("does not point at target host " + HOST_B + "'s migration address 10.77.0.2"),
                elsewhere.reason());
        assertEquals(0, elsewhere.stats().transferredMiB());
        assertEquals("absent", bed.state(HOST_B, "tr1"), "libvirt on B never prepared an incoming guest");
        assertEquals("running", bed.state(HOST_A, "tr1"));

        // live1 is the "true" move; tr1 has no --persistent, and also parallel connections and a migrate URI with a
        // port of the target's; keep1 has --persistent alone. The agent runs two at a time.
        String live1 = migrate("live1", HOST_A, HOST_B, "--live --persistent --undefinesource");
        String tr1 = migrate("tr1", HOST_A, HOST_B, "--live --parallel --parallel-connections 3 --migrateuri tcp://10.77.0.2:49210");
        String keep1 = migrate("keep1", HOST_A, HOST_B, "--live --persistent");
        succeeded(live1);
        succeeded(tr1);
        succeeded(keep1);

        assertTrue(fx.results(live1).stream().anyMatch(x -> x.status() == ResultStatus.ACCEPTED));
        assertMovedAndKeptState(bed, "live1", "running", true);
        assertRunsOnWithItsState(bed, HOST_B, "tr1", "running", false);
        assertEquals("shut off", bed.state(HOST_A, "tr1"), "without --persistent the copy on B is transient, A keeps its definition");
        assertTrue(bed.persistent(HOST_A, "tr1"));
        assertRunsOnWithItsState(bed, HOST_B, "keep1", "running", true);
        assertEquals("shut off", bed.state(HOST_A, "keep1"), "--persistent without --undefinesource: defined on both");
        assertTrue(bed.persistent(HOST_A, "keep1"));
    }

    @Test
    void nonLiveMigrationPausesCopiesAndResumesOnTheTarget(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningCounter(bed, "cold1");
        String id = fx.migrate("cold1", HOST_A, HOST_B, MigrationMode.NON_LIVE, MigrationOptions.move());
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertMovedAndKeptState(bed, "cold1", "running", true);
    }

    @Test
    void offlineMigrationMovesOnlyThePersistentDefinitionOfAGuestThatIsNotRunning(EmbeddedKafka broker, LibvirtTestbed bed)
            throws Exception {
        start(broker, bed);
        bed.define(HOST_A, bed.guestXml("off1", "counter", ""), false);
        bed.define(HOST_A, bed.guestXml("off2", "counter", ""), false);
        bed.define(HOST_A, bed.guestXml("on1", "counter", ""), true);

        CommandResult running = failed(migrate("on1", HOST_A, HOST_B, "--offline --persistent --undefinesource"));
        assertTrue(running.reason().contains("offline migration moves only the definition of a shut-off guest"), running.reason());
        // (OFFLINE without persistent never gets this far: the Migrate message itself refuses it.)
        CommandResult liveOfShutOff = failed(migrate("off1", HOST_A, HOST_B, "--live --persistent --undefinesource"));
        assertTrue(liveOfShutOff.reason().contains("is shutoff, not running or paused"), liveOfShutOff.reason());
        assertEquals("running", bed.state(HOST_A, "on1"));
        assertEquals("absent", bed.state(HOST_B, "on1"));
        assertEquals("absent", bed.state(HOST_B, "off1"), "nothing reached B");

        succeeded(migrate("off1", HOST_A, HOST_B, "--offline --persistent --undefinesource"));
        succeeded(migrate("off2", HOST_A, HOST_B, "--offline --persistent"));

        assertEquals("absent", bed.state(HOST_A, "off1"));
        assertEquals("shut off", bed.state(HOST_B, "off1"));
        assertTrue(bed.persistent(HOST_B, "off1"));
        assertEquals("shut off", bed.state(HOST_A, "off2"), "without --undefinesource A keeps its definition");
        assertEquals("shut off", bed.state(HOST_B, "off2"));
        assertTrue(bed.persistent(HOST_B, "off2"));
    }

    @Test
    void liveMigrationWithSuspendLeavesTheGuestPausedOnTheTarget(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningCounter(bed, "susp1");
        String id = fx.migrate("susp1", HOST_A, HOST_B, MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertMovedAndKeptState(bed, "susp1", "paused", true);

        // It has not run on B: moving it on now makes QEMU 7.2 abort and lose it (PausedArrival), so the agent refuses.
        CommandResult refused = failed(migrate("susp1", HOST_B, HOST_A, "--live --persistent --undefinesource"));
        assertTrue(refused.reason().contains("has not run there since") && refused.reason().contains("virsh resume susp1"),
                refused.reason());
        assertEquals("paused", bed.state(HOST_B, "susp1"));
        // Once it has run and its owner paused it again, it moves; libvirt leaves a guest paused as it began paused.
        bed.virsh(HOST_B, "resume", "susp1");
        assertRunsOnWithItsState(bed, HOST_B, "susp1", "running", true);
        bed.virsh(HOST_B, "suspend", "susp1");
        succeeded(migrate("susp1", HOST_B, HOST_A, "--live --persistent --undefinesource"));
        assertEquals("absent", bed.state(HOST_B, "susp1"));
        assertRunsOnWithItsState(bed, HOST_A, "susp1", "paused", true);
        bed.virsh(HOST_A, "resume", "susp1");
        assertRunsOnWithItsState(bed, HOST_A, "susp1", "running", true);
    }

    @Test
    void postCopyAfterRoundsOrAtTheTimeoutCompletesAGuestThatDirtiesMemoryFasterThanTheCap(EmbeddedKafka broker,
            LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningDirty(bed, "hot1");
        MigrationOptions postCopy = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 50, false, 0,
                false, true, false, 0, 0, false);
        String id = fx.migrate("hot1", HOST_A, HOST_B, MigrationMode.LIVE, postCopy);
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertTrue(r.reason().contains("switched to post-copy after"), "the outcome says so: " + r.reason());
        assertEquals("absent", bed.state(HOST_A, "hot1"));
        assertEquals("running", bed.state(HOST_B, "hot1"));

        // Back with --timeout-postcopy: the switch waits for the timeout instead.
        CommandResult back = succeeded(migrate("hot1", HOST_B, HOST_A, "--live --persistent --undefinesource --bandwidth 50"
                + " --postcopy --timeout 1 --timeout-postcopy"));
        assertTrue(back.reason().contains("switched to post-copy when the 1 s timeout passed"), back.reason());
        assertEquals("absent", bed.state(HOST_B, "hot1"));
        assertEquals("running", bed.state(HOST_A, "hot1"));
        assertEquals(1, bed.starts("hot1", "dirty"), "the dirtying guest restarted");
    }

    @Test
    void copyStorageAllAndIncrementalCarryAPrivateDiskBetweenTheHostsPools(EmbeddedKafka broker, LibvirtTestbed bed)
            throws Exception {
        start(broker, bed);
        for (String h : new String[]{HOST_A, HOST_B}) {
            bed.virsh(h, "pool-define-as", "local", "dir", "--target", "/var/lib/libvirt/images");
            bed.virsh(h, "pool-build", "local");
            bed.virsh(h, "pool-start", "local");
        }
        bed.virsh(HOST_A, "vol-create-as", "local", "priv1.qcow2", "16M", "--format", "qcow2");
        // Data on the disk, to find it wherever the disk is copied to.
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", bed.privateImages(HOST_A).resolve("priv1.qcow2").toString());
        bed.define(HOST_A, bed.guestXml("priv1", "counter", "<disk type='file' device='disk'><driver name='qemu' type='qcow2'"
                + " cache='none'/><source file='/var/lib/libvirt/images/priv1.qcow2'/><target dev='vdb' bus='virtio'/></disk>"), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("priv1", "counter") >= 2);

        succeeded(migrate("priv1", HOST_A, HOST_B, "--live --persistent --undefinesource --copy-storage-all"));
        assertMovedAndKeptState(bed, "priv1", "running", true);
        assertDiskData(bed.privateImages(HOST_B).resolve("priv1.qcow2"));

        // Back incrementally: libvirt creates no disk for that, the operator must (A's old copy is removed first).
        bed.virsh(HOST_A, "vol-delete", "priv1.qcow2", "--pool", "local");
        CommandResult noImage = failed(migrate("priv1", HOST_B, HOST_A, "--live --persistent --undefinesource --copy-storage-inc"));
        assertTrue(noImage.reason().contains("pre-creation of storage targets for incremental storage migration is not supported"),
                "libvirt's words kept: " + noImage.reason());
        assertTrue(noImage.reason().contains("the target must already have each disk image"), "says what to do: " + noImage.reason());
        assertEquals("running", bed.state(HOST_B, "priv1"));
        bed.virsh(HOST_A, "vol-create-as", "local", "priv1.qcow2", "16M", "--format", "qcow2");
        succeeded(migrate("priv1", HOST_B, HOST_A, "--live --persistent --undefinesource --copy-storage-inc"));
        assertEquals("absent", bed.state(HOST_B, "priv1"));
        assertRunsOnWithItsState(bed, HOST_A, "priv1", "running", true);
        assertDiskData(bed.privateImages(HOST_A).resolve("priv1.qcow2"));
    }

    /** The image holds the pattern written before the guest started (qemu-io reads it beside the running guest). */
    private static void assertDiskData(Path image) throws Exception {
        String read = run("qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", image.toString());
        assertFalse(read.contains("Pattern verification failed"), "the disk's data is in " + image + ": " + read);
    }

    @Test
    void autoConvergeThrottlesAnAbortLeavesTheGuestOnTheSourceAndTimeoutPausesItToComplete(EmbeddedKafka broker,
            LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningDirty(bed, "slow1");
        // At 40 MiB/s it would take auto-converge some 30 s to win; libvirt shows it throttling within seconds.
        String id = migrate("slow1", HOST_A, HOST_B, "--live --persistent --undefinesource --bandwidth 40 --auto-converge");
        await().atMost(Duration.ofSeconds(40)).until(() -> bed.virsh(HOST_A, "domjobinfo", "slow1").contains("Auto converge throttle"));
        assertEquals("40", bed.virsh(HOST_A, "migrate-getspeed", "slow1").trim(), "libvirt runs it at the --bandwidth cap");
        fx.abort(HOST_A, id, "slow1");
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().toLowerCase().contains("abort"), r.reason());
        assertEquals("running", bed.state(HOST_A, "slow1"));
        assertFalse(bed.state(HOST_B, "slow1").equals("running"), "it must not be running on B");

        // With --timeout it completes: the agent suspends it after 1 s, as virsh does, and libvirt resumes it on B.
        CommandResult paused = succeeded(migrate("slow1", HOST_A, HOST_B, "--live --persistent --undefinesource --bandwidth 50"
                + " --timeout 1"));
        assertTrue(paused.reason().contains("paused on " + HOST_A + " when the 1 s timeout passed and completed paused"),
                paused.reason());
        assertTrue(paused.stats().downtimeMs() > 300, "the pause counts, not only QEMU's switch-over: " + paused.stats());
        assertEquals("absent", bed.state(HOST_A, "slow1"));
        assertEquals("running", bed.state(HOST_B, "slow1"), "libvirt resumes on the target a guest that the timeout paused");
        assertTrue(bed.persistent(HOST_B, "slow1"));
        assertEquals(1, bed.starts("slow1", "dirty"));
    }

    @Test
    void libvirtsUnsafeStorageRefusalReachesTheOperatorVerbatimAndTheGuestStays(EmbeddedKafka broker, LibvirtTestbed bed)
            throws Exception {
        start(broker, bed);
        java.nio.file.Path disk = bed.shared().resolve("unsafe1.qcow2");
        new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "16M").inheritIO().start().waitFor();
        // A writable disk on a local filesystem: libvirt cannot know the target sees the same data.
        bed.define(HOST_A, bed.guestXml("unsafe1", "counter", "<disk type='file' device='disk'><driver name='qemu'"
                + " type='qcow2'/><source file='" + disk + "'/><target dev='vdb' bus='virtio'/></disk>"), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("unsafe1", "counter") >= 2);
        String id = fx.migrate("unsafe1", HOST_A, HOST_B, MigrationMode.LIVE, MigrationOptions.move());
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("Migration without shared storage is unsafe"), "libvirt's words kept: " + r.reason());
        assertTrue(r.reason().contains("stays on " + HOST_A), "says where the guest is: " + r.reason());
        assertEquals("running", bed.state(HOST_A, "unsafe1"));
        assertEquals("absent", bed.state(HOST_B, "unsafe1"));

        // The operator knows both hosts see that file: --unsafe lets it go.
        succeeded(migrate("unsafe1", HOST_A, HOST_B, "--live --persistent --undefinesource --unsafe"));
        assertMovedAndKeptState(bed, "unsafe1", "running", true);
    }
}
