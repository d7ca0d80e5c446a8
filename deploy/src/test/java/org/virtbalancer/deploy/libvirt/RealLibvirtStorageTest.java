package org.virtbalancer.deploy.libvirt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.balancer.execute.ConcurrencyLimits;
import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlanningView;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.balancer.plan.rules.SharedStorage;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.StoragePool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_A;
import static org.virtbalancer.deploy.libvirt.LibvirtTestbed.HOST_B;

/**
 * The agent's view of real storage: the test bed's GlusterFS netfs pool on both hosts and a private
 * dir pool, a guest's volume disk and CD-ROM volume with their pools and real paths, and the storage
 * rule's verdict on those facts matching what libvirt then does.
 */
@ExtendWith(LibvirtTestbed.Resolver.class)
class RealLibvirtStorageTest {
    private static final StoragePool SHARED = new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "10.77.0.3",
            "/vol0", true);
    private static final StoragePool LOCAL = new StoragePool("local", "dir", "/var/lib/libvirt/images/local", "", "", true);

    private LibvirtTestbed bed;
    private LibvirtDriver a;
    private LibvirtDriver b;

    @AfterEach
    void stop() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (bed != null) bed.clean();
    }

    private LibvirtDriver driver(String host) throws Exception {
        return new LibvirtDriver(LibvirtDriverConfig.of(host, bed.uri(host)).withMigrationAddress(bed.migrationAddress(host))
                .withPollInterval(Duration.ofMillis(200)));
    }

    @Test
    void agentsReportTheSharedPoolAndAVolumeDisksPoolAndPathAndTheRuleMatchesLibvirt(LibvirtTestbed testbed) throws Exception {
        bed = testbed;
        bed.sharedStorage();
        bed.virsh(HOST_A, "pool-define-as", "local", "dir", "--target", LOCAL.targetPath());
        bed.virsh(HOST_A, "pool-build", "local");
        bed.virsh(HOST_A, "pool-start", "local");
        bed.virsh(HOST_B, "pool-define-as", "parked", "dir", "--target", "/var/lib/libvirt/images/parked");
        bed.virsh(HOST_A, "vol-create-as", "shared", "sdata.qcow2", "16M", "--format", "qcow2");
        bed.virsh(HOST_A, "vol-create-as", "local", "media.iso", "1M", "--format", "raw");
        bed.define(HOST_A, bed.guestXml("stor1", "counter", """
                <disk type='volume' device='disk'><driver name='qemu' type='qcow2' cache='none'/>
                  <source pool='shared' volume='sdata.qcow2'/><target dev='vdb' bus='virtio'/></disk>
                <disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>
                  <source pool='local' volume='media.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
                """), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> bed.lastCount("stor1", "counter") >= 1);
        a = driver(HOST_A);
        b = driver(HOST_B);

        HostFacts factsA = a.hostFacts();
        HostFacts factsB = b.hostFacts();
        assertEquals(List.of(LOCAL, SHARED), factsA.pools().stream().sorted((x, y) -> x.name().compareTo(y.name())).toList());
        assertEquals(List.of(new StoragePool("parked", "dir", "/var/lib/libvirt/images/parked", "", "", false), SHARED),
                factsB.pools().stream().sorted((x, y) -> x.name().compareTo(y.name())).toList(),
                "the same pool, defined alike, on the other host, and one defined but not started");
        GuestDescriptor guest = a.guests().stream().filter(g -> g.name().equals("stor1")).findFirst().orElseThrow();
        assertEquals(List.of(
                new Disk("vda", "disk", "virtio", "", bed.shared().resolve("counter.img").toString(), "", true),
                new Disk("vdb", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/sdata.qcow2", "shared", false),
                new Disk("hdc", "cdrom", "ide", "", "/var/lib/libvirt/images/local/media.iso", "local", true)), guest.disks());

        // B lacks pool local, and libvirt would not copy the CD-ROM: the rule refuses and says to eject it.
        Verdict withMedia = storageVerdict(factsA, guest, factsB);
        assertFalse(withMedia.passed());
        assertEquals("media not on shared storage", withMedia.summary());
        assertTrue(withMedia.reason().contains("eject it first (virsh change-media stor1 hdc --eject)"), withMedia.reason());

        bed.virsh(HOST_A, "change-media", "stor1", "hdc", "--eject", "--live", "--config");
        GuestDescriptor ejected = a.guests().stream().filter(g -> g.name().equals("stor1")).findFirst().orElseThrow();
        Verdict onShared = storageVerdict(factsA, ejected, factsB);
        assertTrue(onShared.passed(), onShared.reason());
        assertTrue(onShared.reason().contains("vda of stor1 is in no storage pool lv-a reports"), onShared.reason());

        // What the rule passed, libvirt does: live, without --unsafe, because it counts the pool as shared. The
        // volume was made on A, so B's pool lists it only because the agent refreshes that pool on B first.
        a.migrate(new MigrationRequest("stor1", factsB, MigrationMode.LIVE, MigrationOptions.move(),
                Instant.now().plusSeconds(90)), (percent, stats) -> { });
        assertEquals("absent", bed.state(HOST_A, "stor1"));
        assertEquals("running", bed.state(HOST_B, "stor1"));
        long before = bed.lastCount("stor1", "counter");
        await().atMost(Duration.ofSeconds(20)).until(() -> bed.lastCount("stor1", "counter") > before);
        assertEquals(1, bed.starts("stor1", "counter"), "the guest kept its state");
        assertEquals("/var/lib/libvirt/images/shared/sdata.qcow2", b.guests().stream().filter(g -> g.name().equals("stor1"))
                .findFirst().orElseThrow().disks().get(1).source(), "B finds the volume in its own pool shared");
    }

    private static Verdict storageVerdict(HostFacts source, GuestDescriptor guest, HostFacts target) {
        long now = System.currentTimeMillis();
        Cluster cluster = new Cluster();
        cluster.applyInventory(new Inventory(source, List.of(guest)), now);
        cluster.applyInventory(new Inventory(target, List.of()), now);
        PlanningView view = new PlanningView(cluster, Projection.of(cluster), Map.of(), Duration.ofSeconds(30),
                new Migrations(new ConcurrencyLimits(2, 2, 8), Duration.ofMinutes(5), Duration.ofSeconds(60), 3), now);
        return new SharedStorage().check(new Placement(cluster.guest(source.host(), guest.name()).orElseThrow(),
                cluster.host(source.host()).orElseThrow(), target.host(), MigrationMode.LIVE, MigrationOptions.move(), 0.7, 0.9),
                view);
    }
}
