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

import java.nio.file.Files;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/**
 * Real QEMU guests migrating between two real libvirt daemons, driven only by Kafka commands to
 * the real agent; every outcome is checked with libvirt itself and with the guest's own serial
 * output (its counter must never restart).
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
        assertEquals(stateOnB, bed.state(HOST_B, name));
        assertEquals(persistentOnB, bed.persistent(HOST_B, name));
        long before = bed.lastCount(name, "counter");
        if (stateOnB.equals("running")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount(name, "counter") > before);
        }
        assertEquals(1, bed.starts(name, "counter"), name + "'s counter restarted: its state did not move");
    }

    @Test
    void liveMigrationMovesARunningGuestWithItsState(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningCounter(bed, "live1");
        String id = fx.migrate("live1", HOST_A, HOST_B, MigrationMode.LIVE, MigrationOptions.move());
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertTrue(fx.results(id).stream().anyMatch(x -> x.status() == ResultStatus.ACCEPTED));
        assertMovedAndKeptState(bed, "live1", "running", true);
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
    void offlineMigrationMovesOnlyThePersistentDefinition(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        bed.define(HOST_A, bed.guestXml("off1", "counter", ""), false);
        String id = fx.migrate("off1", HOST_A, HOST_B, MigrationMode.OFFLINE, MigrationOptions.move());
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertEquals("absent", bed.state(HOST_A, "off1"));
        assertEquals("shut off", bed.state(HOST_B, "off1"));
        assertTrue(bed.persistent(HOST_B, "off1"));
    }

    @Test
    void liveMigrationWithSuspendLeavesTheGuestPausedOnTheTarget(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningCounter(bed, "susp1");
        String id = fx.migrate("susp1", HOST_A, HOST_B, MigrationMode.LIVE, MigrationOptions.move().withSuspendOnTarget(true));
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertMovedAndKeptState(bed, "susp1", "paused", true);
        bed.virsh(HOST_B, "resume", "susp1");
        long before = bed.lastCount("susp1", "counter");
        await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount("susp1", "counter") > before);
        assertEquals(1, bed.starts("susp1", "counter"));
    }

    @Test
    void postCopyCompletesAGuestThatDirtiesMemoryFasterThanTheCap(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningDirty(bed, "hot1");
        MigrationOptions postCopy = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 50, false, 0,
                false, true, false, 0, 0, false);
        String id = fx.migrate("hot1", HOST_A, HOST_B, MigrationMode.LIVE, postCopy);
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertEquals("absent", bed.state(HOST_A, "hot1"));
        assertEquals("running", bed.state(HOST_B, "hot1"));
        assertEquals(1, bed.starts("hot1", "dirty"), "the dirtying guest restarted");
    }

    @Test
    void copyStorageMovesAPrivateDiskToTheTargetsPool(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        for (String h : new String[]{HOST_A, HOST_B}) {
            bed.virsh(h, "pool-define-as", "local", "dir", "--target", "/var/lib/libvirt/images");
            bed.virsh(h, "pool-build", "local");
            bed.virsh(h, "pool-start", "local");
        }
        bed.virsh(HOST_A, "vol-create-as", "local", "priv1.qcow2", "16M", "--format", "qcow2");
        bed.define(HOST_A, bed.guestXml("priv1", "counter", "<disk type='file' device='disk'><driver name='qemu' type='qcow2'"
                + " cache='none'/><source file='/var/lib/libvirt/images/priv1.qcow2'/><target dev='vdb' bus='virtio'/></disk>"), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("priv1", "counter") >= 2);
        MigrationOptions copy = new MigrationOptions(true, true, false, CopyStorage.ALL, 0, "", 0, false, 0,
                false, false, false, 0, 0, false);
        String id = fx.migrate("priv1", HOST_A, HOST_B, MigrationMode.LIVE, copy);
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertMovedAndKeptState(bed, "priv1", "running", true);
        assertTrue(Files.exists(bed.privateImages(HOST_B).resolve("priv1.qcow2")), "the disk was copied into B's own pool");
    }

    @Test
    void abortingASlowMigrationLeavesTheGuestRunningOnTheSource(EmbeddedKafka broker, LibvirtTestbed bed) throws Exception {
        start(broker, bed);
        runningDirty(bed, "slow1");
        MigrationOptions capped = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 5, false, 0,
                false, false, false, 0, 0, false);
        String id = fx.migrate("slow1", HOST_A, HOST_B, MigrationMode.LIVE, capped);
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.results(id).stream().anyMatch(x -> x.status() == ResultStatus.PROGRESS));
        fx.abort(HOST_A, id, "slow1");
        CommandResult r = fx.finalResult(id, MIGRATION);
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().toLowerCase().contains("abort"), r.reason());
        assertEquals("running", bed.state(HOST_A, "slow1"));
        assertFalse(bed.state(HOST_B, "slow1").equals("running"), "it must not be running on B");
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
    }
}
