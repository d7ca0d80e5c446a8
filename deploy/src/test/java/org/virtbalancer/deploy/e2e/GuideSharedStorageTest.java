package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.Inventory;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/**
 * The migration guide's §17.5, end to end on the test bed: the same shared pool on both libvirt
 * hosts (GlusterFS netfs: this kernel has no NFS), a qcow2 volume created in it, a guest using it
 * with cache='none', and the guide's live migration with --verbose asked for with {@code vbal
 * migrate}, checked by the real balancer and carried out by the real agent without --unsafe. The
 * same kind of guest on local storage is refused with the storage reason and moves with
 * --copy-storage-all. Each outcome is checked with libvirt itself.
 */
@ExtendWith({Broker.class, LibvirtTestbed.Resolver.class})
class GuideSharedStorageTest {
    private RealHostsFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    private static String volumeDisk(String pool, String volume) {
        return "<disk type='volume' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source pool='" + pool
                + "' volume='" + volume + "'/><target dev='vdb' bus='virtio'/></disk>";
    }

    @Test
    void theGuidesSharedPoolScenarioRunsThroughVbalMigrateAndLocalStorageNeedsCopyStorage(EmbeddedKafka broker,
                                                                                          LibvirtTestbed bed) throws Exception {
        // §17.5.1-2: the same pool defined on every host.
        bed.sharedStorage();
        // §17.5.3: vol-create-as VM sled12.qcow2 --format qcow2
        bed.virsh(HOST_A, "vol-create-as", LibvirtTestbed.SHARED_POOL, "sled12.qcow2", "16M", "--format", "qcow2");
        // §17.5.4: the guest's disk is the volume, cache=none so that no --unsafe is needed.
        bed.define(HOST_A, bed.guestXml("sled12", "counter", volumeDisk(LibvirtTestbed.SHARED_POOL, "sled12.qcow2")), true);
        // The same kind of guest on storage only host A sees: a dir pool "local" each host has for itself.
        for (String h : List.of(HOST_A, HOST_B)) {
            bed.virsh(h, "pool-define-as", "local", "dir", "--target", "/var/lib/libvirt/images/local");
            bed.virsh(h, "pool-build", "local");
            bed.virsh(h, "pool-start", "local");
        }
        bed.virsh(HOST_A, "vol-create-as", "local", "local1.qcow2", "16M", "--format", "qcow2");
        bed.define(HOST_A, bed.guestXml("local1", "counter", volumeDisk("local", "local1.qcow2")), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("sled12", "counter") >= 1
                && bed.lastCount("local1", "counter") >= 1);

        fx = new RealHostsFixture(broker, bed, true);
        fx.awaitAgentsKnowEachOther();
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.tap.bodies(fx.topics.inventory(), Inventory.class).stream()
                .anyMatch(i -> i.facts().host().equals(HOST_A) && i.guests().stream().map(GuestDescriptor::name).toList()
                        .containsAll(List.of("sled12", "local1"))));
        InProcessVbal vbal = new InProcessVbal(fx.kafka.bootstrapServers(), fx.topics.prefix(), null, null);

        // §17.5.5: migrate --live sled12 --verbose (no --persistent: a transient copy, as virsh makes it).
        InProcessVbal.Run guide = vbal.run("migrate", "sled12", "--to", HOST_B, "--live", "--verbose");
        assertEquals(0, guide.exit(), guide.all());
        assertTrue(guide.out().lines().anyMatch("Migration: [100 %]"::equals), guide.out());
        assertFalse(guide.out().contains("--unsafe"), guide.out());
        assertEquals("running", bed.state(HOST_B, "sled12"), "runs on the target");
        assertFalse(bed.persistent(HOST_B, "sled12"), "without --persistent the copy on the target is transient");
        assertEquals("shut off", bed.state(HOST_A, "sled12"), "the source keeps its shut-off definition");
        assertTrue(bed.persistent(HOST_A, "sled12"));
        long counted = bed.lastCount("sled12", "counter");
        await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount("sled12", "counter") > counted);
        assertEquals(1, bed.starts("sled12", "counter"), "the guest kept its state: its counter never restarted");

        // Local storage: refused with the storage reason, nothing moves.
        InProcessVbal.Run refused = vbal.run("migrate", "local1", "--to", HOST_B, "--live", "--persistent",
                "--undefinesource");
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().startsWith("error: refused: local1 cannot migrate to " + HOST_B + ": 1 rule fails: disk on"
                + " local storage"), refused.all());
        assertTrue(refused.err().contains("--copy-storage-all"), "says what to do: " + refused.err());
        assertEquals("running", bed.state(HOST_A, "local1"));
        assertEquals("absent", bed.state(HOST_B, "local1"));

        // ... and moves with --copy-storage-all, its disk copied into B's own pool.
        InProcessVbal.Run copied = vbal.run("migrate", "local1", "--to", HOST_B, "--live", "--persistent",
                "--undefinesource", "--copy-storage-all");
        assertEquals(0, copied.exit(), copied.all());
        assertEquals("absent", bed.state(HOST_A, "local1"), "--undefinesource: gone from the source");
        assertEquals("running", bed.state(HOST_B, "local1"));
        assertTrue(bed.persistent(HOST_B, "local1"), "--persistent: defined on the target");
        assertTrue(Files.exists(bed.privateImages(HOST_B).resolve("local/local1.qcow2")), "the disk was copied to B");
        long copiedCount = bed.lastCount("local1", "counter");
        await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount("local1", "counter") > copiedCount);
        assertEquals(1, bed.starts("local1", "counter"), "the guest kept its state");
    }
}
