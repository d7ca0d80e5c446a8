package org.virtbalancer.balancer.plan;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.execute.ConcurrencyLimits;
import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.plan.rules.Affinity;
import org.virtbalancer.balancer.plan.rules.AntiAffinity;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;
import org.virtbalancer.balancer.plan.rules.SameQemuIdentity;
import org.virtbalancer.balancer.plan.rules.SharedStorage;
import org.virtbalancer.balancer.plan.rules.CacheModeNone;
import org.virtbalancer.balancer.plan.rules.DifferentHost;
import org.virtbalancer.balancer.plan.rules.FitsCapacity;
import org.virtbalancer.balancer.plan.rules.InHostGroup;
import org.virtbalancer.balancer.plan.rules.LiveTarget;
import org.virtbalancer.balancer.plan.rules.MigratableCpuMode;
import org.virtbalancer.balancer.plan.rules.NoBackwardMigration;
import org.virtbalancer.balancer.plan.rules.NoEarlierFailure;
import org.virtbalancer.balancer.plan.rules.NoFilesystemPassthrough;
import org.virtbalancer.balancer.plan.rules.NoHostDevices;
import org.virtbalancer.balancer.plan.rules.NoSameNamedGuest;
import org.virtbalancer.balancer.plan.rules.NoSataDisks;
import org.virtbalancer.balancer.plan.rules.NotInMaintenance;
import org.virtbalancer.balancer.plan.rules.NotPinned;
import org.virtbalancer.balancer.plan.rules.SameArchitecture;
import org.virtbalancer.balancer.plan.rules.SameSubnet;
import org.virtbalancer.balancer.plan.rules.StateFitsMode;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.QEMU;
import static org.virtbalancer.balancer.Fixtures.SHARED_POOL;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;

/** Each rule, on a guest or host crafted to fail it, and on one that passes. */
class EligibilityRulesTest {
    private static final long NOW = 10_000_000;

    /** A source host "src" with the guest under test, and a target "dst". */
    private static final class World {
        GuestDescriptor guest = guest("vm", GuestState.RUNNING);
        HostFacts dst = host("dst");
        HostFacts src = host("src");
        List<GuestDescriptor> onDst = new ArrayList<>();
        List<GuestDescriptor> onSrc = new ArrayList<>();
        /** Guests on a third host, "far"; the host exists only when this is not empty. */
        List<GuestDescriptor> onFar = new ArrayList<>();
        double dstCores = 1;
        /** What dst's last sample lists per guest, and samples it sent before it (its guests' history). */
        List<GuestLoad> dstGuestLoads = List.of();
        List<HostLoad> dstHistory = List.of();
        boolean dstSampled = true;
        Map<String, MaintenanceState> maintenance = new HashMap<>();
        MigrationMode mode = MigrationMode.LIVE;
        MigrationOptions options = MigrationOptions.move();
        double ceiling = 0.70;
        double memoryCeiling = 0.90;
        final Migrations migrations = new Migrations(new ConcurrencyLimits(2, 2, 8), Duration.ofMinutes(5),
                Duration.ofSeconds(60), 3);

        Verdict check(EligibilityRule rule, String target) {
            Cluster cluster = new Cluster();
            List<GuestDescriptor> src = new ArrayList<>(onSrc);
            src.add(0, guest);
            cluster.applyInventory(new Inventory(this.src, src), NOW);
            cluster.applySample(new HostLoad("src", 10_000, 8, 0, 0, 0, List.of(guestLoad("vm", 2))), NOW);
            if (!onFar.isEmpty()) {
                cluster.applyInventory(new Inventory(host("far"), onFar), NOW);
                cluster.applySample(new HostLoad("far", 10_000, 1, 0, 0, 0, List.of()), NOW);
            }
            cluster.applyInventory(new Inventory(dst, onDst), NOW);
            if (dstSampled) {
                dstHistory.forEach(h -> cluster.applySample(h, NOW));
                cluster.applySample(new HostLoad("dst", 10_000, dstCores, 0, 0, 0, dstGuestLoads), NOW);
            }
            PlanningView view = new PlanningView(cluster, Projection.of(cluster), maintenance, Duration.ofSeconds(30),
                    migrations, NOW);
            Guest g = cluster.guest("src", "vm").orElseThrow();
            return rule.check(new Placement(g, cluster.host("src").orElseThrow(), target, mode, options, ceiling,
                    memoryCeiling), view);
        }

        Verdict check(EligibilityRule rule) {
            return check(rule, "dst");
        }
    }

    private static GuestDescriptor withDisk(Disk disk) {
        return new GuestDescriptor("vm", "", GuestState.RUNNING, true, 2, 4096, "custom", List.of(disk), List.of(),
                false, Map.of());
    }

    private static void fails(Verdict v, String expected) {
        assertFalse(v.passed(), "expected a failure mentioning: " + expected);
        assertTrue(v.reason().contains(expected), v.reason());
    }

    @Test
    void differentHostRefusesTheGuestsOwnHost() {
        World w = new World();
        fails(w.check(new DifferentHost(), "src"), "src is the host vm is already on");
        assertTrue(w.check(new DifferentHost()).passed());
    }

    @Test
    void liveTargetRefusesUnknownAndSilentHosts() {
        World w = new World();
        fails(w.check(new LiveTarget(), "nowhere"), "nowhere is not a known host");
        w.dstSampled = false;
        fails(w.check(new LiveTarget()), "dst has sent no load sample yet");
    }

    @Test
    void notInMaintenanceRefusesEnteringAndInMaintenanceHosts() {
        World w = new World();
        assertTrue(w.check(new NotInMaintenance()).passed());
        w.maintenance.put("dst", MaintenanceState.ENTERING);
        fails(w.check(new NotInMaintenance()), "dst is entering maintenance and takes no guests");
        w.maintenance.put("dst", MaintenanceState.IN_MAINTENANCE);
        fails(w.check(new NotInMaintenance()), "dst is in maintenance");
    }

    @Test
    void sameArchitectureRefusesAnotherArchitecture() {
        World w = new World();
        w.dst = host("dst", "aarch64", "9.0.0", "10.0.0.0/24");
        fails(w.check(new SameArchitecture()), "dst is aarch64 but src is x86_64");
    }

    @Test
    void stateFitsModeMatchesStatesToMigrationKinds() {
        World w = new World();
        w.guest = guest("vm", GuestState.CRASHED);
        fails(w.check(new StateFitsMode()), "vm has crashed");
        w.guest = guest("vm", GuestState.SHUTOFF).withPersistent(false);
        w.mode = MigrationMode.OFFLINE;
        fails(w.check(new StateFitsMode()), "shut off and transient");
        w.guest = guest("vm", GuestState.SHUTOFF);
        assertTrue(w.check(new StateFitsMode()).passed(), "shut-off persistent guests move offline");
        w.mode = MigrationMode.LIVE;
        fails(w.check(new StateFitsMode()), "only an offline migration can move it");
        w.guest = guest("vm", GuestState.PAUSED);
        assertTrue(w.check(new StateFitsMode()).passed());
        w.mode = MigrationMode.OFFLINE;
        fails(w.check(new StateFitsMode()), "offline migration is only for shut-off guests");
    }

    @Test
    void noSameNamedGuestRefusesARunningTwinAndWarnsAboutAShutOffOne() {
        World w = new World();
        w.onDst.add(guest("vm", GuestState.RUNNING));
        fails(w.check(new NoSameNamedGuest()), "a running guest named vm already exists on dst");
        w.onDst.set(0, guest("vm", GuestState.SHUTOFF));
        Verdict v = w.check(new NoSameNamedGuest());
        assertTrue(v.passed());
        assertEquals("the shut-off definition of vm on dst will be overwritten.", v.reason());
    }

    @Test
    void fitsCapacityKeepsTheTargetUnderTheCeiling() {
        World w = new World();
        w.dstCores = 10; // 10 + 2 cores of 16 = 0.75
        fails(w.check(new FitsCapacity()), "dst cpu would reach 0.75 with vm, above the 0.70 ceiling");
        w.ceiling = 0.85;
        assertTrue(w.check(new FitsCapacity()).passed(), "maintenance uses the high watermark");
        w.guest = guest("vm", GuestState.RUNNING, 60_000, Map.of());
        fails(w.check(new FitsCapacity()), "dst memory would reach 0.92 with vm, above the 0.90 limit");
        w.memoryCeiling = 0.95;
        assertTrue(w.check(new FitsCapacity()).passed(), "memory has its own limit, apart from the CPU ceiling");
    }

    @Test
    void fitsCapacityAlsoCountsWhatTheTargetsGuestsUsuallyUse() {
        World w = new World();
        w.onDst.add(guest("busy", GuestState.RUNNING));
        // busy has used 8 cores; this minute it idles at 1: dst is quiet now but not expected to stay so.
        w.dstHistory = List.of(new HostLoad("dst", 10_000, 8, 0, 0, 0, List.of(guestLoad("busy", 8))));
        w.dstCores = 1;
        w.dstGuestLoads = List.of(guestLoad("busy", 1));
        w.ceiling = 0.5;
        fails(w.check(new FitsCapacity()), "dst expected cpu would reach 0.62 with vm, above the 0.50 ceiling");
        w.ceiling = 0.65;
        assertTrue(w.check(new FitsCapacity()).passed(), "(1 + 2) / 16 now, (7.99 + 2) / 16 expected");
    }

    @Test
    void migratableCpuModeRefusesHostPassthrough() {
        World w = new World();
        w.guest = new GuestDescriptor("vm", "", GuestState.RUNNING, true, 2, 4096, "host-passthrough", List.of(),
                List.of(), false, Map.of());
        fails(w.check(new MigratableCpuMode()), "uses CPU mode host-passthrough");
    }

    @Test
    void noSataDisksRefusesASataDisk() {
        World w = new World();
        w.guest = withDisk(new Disk("sda", "disk", "sata", "none", "/pool/vm.qcow2", "pool", false));
        fails(w.check(new NoSataDisks()), "has SATA disk sda");
    }

    @Test
    void noFilesystemPassthroughRefusesAPassedThroughDirectory() {
        World w = new World();
        w.guest = new GuestDescriptor("vm", "", GuestState.RUNNING, true, 2, 4096, "custom", List.of(), List.of(),
                true, Map.of());
        fails(w.check(new NoFilesystemPassthrough()), "host directory passed through");
    }

    @Test
    void noHostDevicesRefusesLiveMovesOfGuestsWithPassthroughDevices() {
        World w = new World();
        w.guest = new GuestDescriptor("vm", "", GuestState.RUNNING, true, 2, 4096, "custom", List.of(),
                List.of("0000:3b:00.1"), false, Map.of());
        fails(w.check(new NoHostDevices()), "host device 0000:3b:00.1");
        w.mode = MigrationMode.OFFLINE;
        assertTrue(w.check(new NoHostDevices()).passed());
    }

    @Test
    void cacheModeNoneRefusesOtherCacheModesUnlessUnsafe() {
        World w = new World();
        w.guest = withDisk(new Disk("vda", "disk", "virtio", "writeback", "/pool/vm.qcow2", "pool", false));
        fails(w.check(new CacheModeNone()), "disk vda uses cache mode writeback");
        w.options = new MigrationOptions(true, true, false, null, 0, "", 0, true, 0, false, false, false, 0, 0, false);
        assertTrue(w.check(new CacheModeNone()).passed());
        w = new World();
        w.guest = withDisk(new Disk("vda", "disk", "virtio", "", "/pool/vm.qcow2", "pool", false));
        assertTrue(w.check(new CacheModeNone()).passed(), "the default cache mode is accepted");
    }

    @Test
    void noBackwardMigrationComparesVersionsNumerically() {
        World w = new World();
        w.dst = host("dst", "x86_64", "8.10.0", "10.0.0.0/24");
        fails(w.check(new NoBackwardMigration()), "dst runs libvirt 8.10.0, older than 9.0.0 on src");
        w.dst = host("dst", "x86_64", "10.0.0", "10.0.0.0/24");
        assertTrue(w.check(new NoBackwardMigration()).passed(), "10.0.0 is newer than 9.0.0");
        w.dst = host("dst", "x86_64", "", "10.0.0.0/24");
        assertTrue(w.check(new NoBackwardMigration()).passed(), "unknown versions are not compared");
    }

    @Test
    void sameSubnetRefusesAnotherSubnet() {
        World w = new World();
        w.dst = host("dst", "x86_64", "9.0.0", "10.0.1.0/24");
        fails(w.check(new SameSubnet()), "dst is on subnet 10.0.1.0/24 but src is on 10.0.0.0/24");
        w.dst = host("dst", "x86_64", "9.0.0", "");
        assertTrue(w.check(new SameSubnet()).passed());
    }

    @Test
    void notPinnedRefusesPinnedGuests() {
        World w = new World();
        w.guest = guest("vm", GuestState.RUNNING, 4096, Map.of("vb.pinned", "true"));
        fails(w.check(new NotPinned()), "vm is pinned to src (label vb.pinned=true)");
    }

    @Test
    void antiAffinityKeepsAGroupApart() {
        World w = new World();
        w.guest = guest("vm", GuestState.RUNNING, 4096, Map.of("vb.anti-affinity", "db"));
        w.onDst.add(guest("db-2", GuestState.RUNNING, 1024, Map.of("vb.anti-affinity", "db")));
        fails(w.check(new AntiAffinity()), "dst already has db-2 of anti-affinity group db");
        w.onDst.set(0, guest("web-2", GuestState.RUNNING, 1024, Map.of("vb.anti-affinity", "web")));
        assertTrue(w.check(new AntiAffinity()).passed());
    }

    @Test
    void affinityKeepsAGroupTogether() {
        World w = new World();
        Map<String, String> app = Map.of("vb.affinity", "app");
        w.guest = guest("vm", GuestState.RUNNING, 4096, app);
        assertTrue(w.check(new Affinity()).passed(), "a group of one goes anywhere");

        w.onSrc.add(guest("app-2", GuestState.RUNNING, 1024, app));
        fails(w.check(new Affinity()), "moving vm alone would leave 1 other member of affinity group app on src");
        w.maintenance.put("src", MaintenanceState.ENTERING);
        assertTrue(w.check(new Affinity()).passed(), "a drained host's group leaves: the first picks the host");
        w.maintenance.clear();

        w.onSrc.clear();
        w.onFar.add(guest("app-3", GuestState.RUNNING, 1024, app));
        fails(w.check(new Affinity()), "vm belongs with affinity group app on far (label vb.affinity), not on dst");
        assertTrue(w.check(new Affinity(), "far").passed(), "it may join the others");
        w.onFar.set(0, guest("app-3", GuestState.SHUTOFF, 1024, app));
        assertTrue(w.check(new Affinity()).passed(), "a shut-off member holds nobody back");
    }

    @Test
    void inHostGroupLimitsAGuestToItsHosts() {
        World w = new World();
        w.guest = guest("vm", GuestState.RUNNING, 4096, Map.of("vb.host-group", "gpu"));
        fails(w.check(new InHostGroup()),
                "dst is not in host group gpu that vm is limited to (host label vb.host-group unset)");
        w.dst = new HostFacts("dst", "x86_64", "Skylake", 16, 65_536, 1000, "simulated", "9.0.0", "7.2.0", "10.0.0.0/24",
                "10.0.0.2", "qemu+tcp://dst/system", Map.of("vb.host-group", "rack-a, licensed"), List.of(), null);
        fails(w.check(new InHostGroup()), "(host label vb.host-group=rack-a, licensed)");
        w.dst = new HostFacts("dst", "x86_64", "Skylake", 16, 65_536, 1000, "simulated", "9.0.0", "7.2.0", "10.0.0.0/24",
                "10.0.0.2", "qemu+tcp://dst/system", Map.of("vb.host-group", "rack-a, gpu"), List.of(), null);
        assertTrue(w.check(new InHostGroup()).passed());
        w.guest = guest("vm", GuestState.RUNNING, 4096, Map.of());
        w.dst = host("dst");
        assertTrue(w.check(new InHostGroup()).passed(), "an unlabelled guest goes anywhere");
    }

    private static HostFacts facts(String name, List<StoragePool> pools, QemuIdentity qemu) {
        HostFacts f = host(name);
        return new HostFacts(f.host(), f.arch(), f.cpuModel(), f.cpus(), f.memoryMiB(), f.linkMiBps(), f.hypervisor(),
                f.libvirtVersion(), f.qemuVersion(), f.subnet(), f.migrationAddress(), f.libvirtUri(), f.labels(), pools,
                qemu);
    }

    private static final StoragePool LOCAL_POOL = new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", true);
    private static final StoragePool ISO_POOL = new StoragePool("iso", "dir", "/srv/iso", "", "", true);
    private static final String SHARED_DIR = SHARED_POOL.targetPath();

    private static GuestDescriptor withDisks(Disk... disks) {
        return new GuestDescriptor("vm", "", GuestState.RUNNING, true, 2, 4096, "custom", List.of(disks), List.of(),
                false, Map.of());
    }

    private static MigrationOptions copyStorage(CopyStorage how) {
        MigrationOptions o = MigrationOptions.move();
        return new MigrationOptions(o.persistent(), o.undefineSource(), o.suspendOnTarget(), how, o.parallelConnections(),
                o.migrateUri(), o.bandwidthMiBps(), o.unsafe(), o.maxDowntimeMs(), o.autoConverge(), o.postCopy(),
                o.compressed(), o.abortAfterS(), 0, false);
    }

    private static void failsWith(Verdict v, String summary, String reason) {
        fails(v, reason);
        assertEquals(summary, v.summary(), v.reason());
    }

    @Test
    void sharedStoragePassesDisksOnAPoolBothHostsMountFromTheSameExport() {
        World w = new World();
        w.guest = withDisks(new Disk("vda", "disk", "virtio", "none", SHARED_DIR + "/gdata.qcow2", "shared", false),
                new Disk("vdb", "disk", "virtio", "none", SHARED_DIR + "/vm.qcow2", "", false));
        Verdict v = w.check(new SharedStorage());
        assertTrue(v.passed(), v.reason());
        assertEquals("", v.reason(), "a volume disk by its pool, a file by the pool holding its path");
    }

    @Test
    void sharedStorageNeedsThePoolsNameTypeTargetPathAndExportOnTheTarget() {
        World w = new World();
        w.guest = withDisks(new Disk("vda", "disk", "virtio", "none", SHARED_DIR + "/gdata.qcow2", "shared", false));
        String missing = "dst does not mount storage.sim:/export/images at /var/lib/libvirt/images/shared, where vda of vm"
                + " lives: define and start an active netfs pool named shared at /var/lib/libvirt/images/shared from that"
                + " export on dst.";
        w.dst = facts("dst", List.of(), QEMU);
        failsWith(w.check(new SharedStorage()), "storage not shared", missing);
        StoragePool p = SHARED_POOL;
        for (StoragePool unlike : List.of(
                new StoragePool("vms", p.type(), p.targetPath(), p.sourceHost(), p.sourcePath(), true),
                new StoragePool(p.name(), "glusterfs", p.targetPath(), p.sourceHost(), p.sourcePath(), true),
                new StoragePool(p.name(), p.type(), "/mnt/shared", p.sourceHost(), p.sourcePath(), true),
                new StoragePool(p.name(), p.type(), p.targetPath(), p.sourceHost(), p.sourcePath(), false))) {
            w.dst = facts("dst", List.of(unlike), QEMU);
            failsWith(w.check(new SharedStorage()), "storage not shared", missing);
        }
        w.dst = facts("dst", List.of(new StoragePool("shared", "netfs", SHARED_DIR, "other.sim", "/export/images", true)), QEMU);
        failsWith(w.check(new SharedStorage()), "storage not shared", "dst does not mount storage.sim:/export/images at"
                + " /var/lib/libvirt/images/shared, where vda of vm lives: its pool shared mounts other.sim:/export/images"
                + " instead; choose --copy-storage-all or --copy-storage-inc to copy the disk there.");
        w.options = copyStorage(CopyStorage.ALL);
        assertTrue(w.check(new SharedStorage()).passed(), "copied into the target's own pool shared");
    }

    @Test
    void aDiskOnLocalStorageNeedsCopyStorageIntoAPoolOfTheSameNameTypeAndTargetPath() {
        World w = new World();
        w.src = facts("src", List.of(LOCAL_POOL), QEMU);
        w.dst = facts("dst", List.of(), QEMU);
        w.guest = withDisks(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/vm.qcow2", "", false));
        failsWith(w.check(new SharedStorage()), "disk on local storage", "vda (/var/lib/libvirt/images/vm.qcow2) is on src's"
                + " local dir pool default; moving it needs copy-storage: choose --copy-storage-all or --copy-storage-inc,"
                + " after defining and starting an active dir pool named default at /var/lib/libvirt/images on dst.");
        w.dst = facts("dst", List.of(LOCAL_POOL), QEMU);
        failsWith(w.check(new SharedStorage()), "disk on local storage", "vda (/var/lib/libvirt/images/vm.qcow2) is on src's"
                + " local dir pool default; moving it needs copy-storage: choose --copy-storage-all or --copy-storage-inc.");

        w.options = copyStorage(CopyStorage.ALL);
        assertTrue(w.check(new SharedStorage()).passed(), "copied into the same pool on dst");
        w.options = copyStorage(CopyStorage.INCREMENTAL);
        assertTrue(w.check(new SharedStorage()).passed(), "--copy-storage-inc needs the same pool");
        String noPool = "dst has no active dir pool named default at /var/lib/libvirt/images to receive vda by copy-storage:"
                + " define and start an active dir pool named default at /var/lib/libvirt/images on dst.";
        for (StoragePool unlike : List.of(new StoragePool("default", "dir", "/srv/images", "", "", true),
                new StoragePool("default", "logical", "/var/lib/libvirt/images", "", "", true),
                new StoragePool("images", "dir", "/var/lib/libvirt/images", "", "", true),
                new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", false))) {
            w.dst = facts("dst", List.of(unlike), QEMU);
            failsWith(w.check(new SharedStorage()), "no pool for copied disks", noPool);
        }
    }

    @Test
    void copyStorageOfADiskOnStorageBothHostsShareIsRefused() {
        World w = new World();
        w.guest = withDisks(new Disk("vdb", "disk", "virtio", "none", SHARED_DIR + "/gdata.qcow2", "shared", false));
        w.options = copyStorage(CopyStorage.ALL);
        failsWith(w.check(new SharedStorage()), "copy-storage onto shared storage", "vdb of vm is on pool shared, which dst"
                + " shares (storage.sim:/export/images); copy-storage would copy it onto itself and libvirt fails:"
                + " migrate without --copy-storage-all/-inc.");
    }

    @Test
    void readOnlyMediaAreNeverCopiedSoTheyMustBeOnAPoolTheTargetSharesOrBeEjected() {
        World w = new World();
        w.src = facts("src", List.of(SHARED_POOL, ISO_POOL), QEMU);
        w.guest = withDisks(new Disk("hdc", "cdrom", "ide", "", "/srv/iso/debian-12.iso", "", true));
        String cdrom = "The CD-ROM image in hdc of vm (/srv/iso/debian-12.iso) is on src's local dir pool iso, which dst"
                + " lacks, and copy-storage does not copy read-only media: eject it first (virsh change-media vm hdc --eject),"
                + " or define an active dir pool named iso at /srv/iso holding it on dst.";
        failsWith(w.check(new SharedStorage()), "media not on shared storage", cdrom);
        w.options = copyStorage(CopyStorage.ALL);
        failsWith(w.check(new SharedStorage()), "media not on shared storage", cdrom);

        w.dst = facts("dst", List.of(SHARED_POOL, ISO_POOL), QEMU);
        Verdict sameLocalPool = w.check(new SharedStorage());
        assertTrue(sameLocalPool.passed(), "libvirt opens the same path on dst");
        assertEquals("The CD-ROM image in hdc of vm (/srv/iso/debian-12.iso) is on src's local dir pool iso; dst's pool iso"
                + " must hold the same image.", sameLocalPool.reason());

        w.options = MigrationOptions.move();
        w.guest = withDisks(new Disk("hdc", "cdrom", "ide", "", SHARED_DIR + "/debian-12.iso", "shared", true),
                new Disk("hdd", "cdrom", "ide", "", "", "", true));
        assertEquals(Verdict.pass(), w.check(new SharedStorage()), "media on shared storage, and an empty drive");

        w.dst = facts("dst", List.of(), QEMU);
        w.guest = withDisks(new Disk("fda", "floppy", "fdc", "", SHARED_DIR + "/boot.img", "shared", true));
        failsWith(w.check(new SharedStorage()), "media not on shared storage", "The floppy image in fda of vm"
                + " (/var/lib/libvirt/images/shared/boot.img) is on netfs pool shared, which dst does not share, and"
                + " copy-storage does not copy read-only media: eject it first (virsh change-media vm fda --eject), or define"
                + " an active netfs pool named shared at /var/lib/libvirt/images/shared holding it on dst.");
        w.guest = withDisks(new Disk("vdc", "disk", "virtio", "none", "/srv/iso/tools.img", "", true));
        failsWith(w.check(new SharedStorage()), "media not on shared storage", "Read-only disk vdc of vm (/srv/iso/tools.img)"
                + " is on src's local dir pool iso, which dst lacks, and copy-storage does not copy read-only media: detach it"
                + " first (virsh detach-disk vm vdc), or define an active dir pool named iso at /srv/iso holding it on dst.");
    }

    @Test
    void aWritableFloppyOnLocalStorageIsCopiedOrEjected() {
        World w = new World();
        w.src = facts("src", List.of(LOCAL_POOL), QEMU);
        w.dst = facts("dst", List.of(LOCAL_POOL), QEMU);
        w.guest = withDisks(new Disk("fda", "floppy", "fdc", "", "/var/lib/libvirt/images/fd.img", "default", false));
        failsWith(w.check(new SharedStorage()), "disk on local storage", "fda (/var/lib/libvirt/images/fd.img) is on src's"
                + " local dir pool default; moving it needs copy-storage: choose --copy-storage-all or --copy-storage-inc,"
                + " or eject it first (virsh change-media vm fda --eject).");
        w.options = copyStorage(CopyStorage.ALL);
        assertTrue(w.check(new SharedStorage()).passed());
    }

    @Test
    void everyDiskThatCannotMoveIsNamedAndTheFirstIsCounted() {
        World w = new World();
        w.src = facts("src", List.of(SHARED_POOL, LOCAL_POOL, ISO_POOL), QEMU);
        w.guest = withDisks(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/vm.qcow2", "", false),
                new Disk("vdb", "disk", "virtio", "none", SHARED_DIR + "/data.qcow2", "shared", false),
                new Disk("hdc", "cdrom", "ide", "", "/srv/iso/debian-12.iso", "", true));
        Verdict v = w.check(new SharedStorage());
        assertEquals("disk on local storage", v.summary());
        assertTrue(v.reason().startsWith("vda (/var/lib/libvirt/images/vm.qcow2) is on src's local dir pool default;"), v.reason());
        assertTrue(v.reason().contains(" on dst. The CD-ROM image in hdc of vm"), v.reason());
        assertFalse(v.reason().contains("vdb"), "the disk on shared storage is fine: " + v.reason());
    }

    @Test
    void disksInNoPoolPassWithAWarningAndNetworkDisksPass() {
        World w = new World();
        w.guest = withDisks(new Disk("vdb", "disk", "virtio", "none", "/srv/elsewhere/vm.raw", "", false),
                new Disk("vdc", "disk", "virtio", "none", "/srv/elsewhere/vm2.raw", "", false));
        Verdict unknown = w.check(new SharedStorage());
        assertTrue(unknown.passed());
        assertEquals("vdb, vdc of vm is in no storage pool src reports; libvirt checks the path when it migrates.",
                unknown.reason());

        w.guest = withDisks(new Disk("vdd", "disk", "virtio", "none", "nfs://10.77.0.3/export/ndata.qcow2", "", false));
        assertEquals(Verdict.pass(), w.check(new SharedStorage()), "QEMU reaches a network disk from any host");
        w.options = copyStorage(CopyStorage.ALL);
        Verdict copied = w.check(new SharedStorage());
        assertTrue(copied.passed());
        assertTrue(copied.reason().contains("copy-storage would copy it onto itself"), copied.reason());
    }

    @Test
    void sameQemuIdentityComparesUidAndGroupIds() {
        World w = new World();
        assertTrue(w.check(new SameQemuIdentity()).passed());
        w.dst = facts("dst", List.of(SHARED_POOL), new QemuIdentity(107, Map.of("kvm", 994L, "libvirt", 996L)));
        fails(w.check(new SameQemuIdentity()), "dst has QEMU's UID 107 (64055 on src), libvirt GID 996 (995 on src)");
        w.dst = facts("dst", List.of(SHARED_POOL), QemuIdentity.UNKNOWN);
        assertTrue(w.check(new SameQemuIdentity()).passed(), "an identity the agent could not read is not judged");
    }

    @Test
    void noEarlierFailureSendsRetriesElsewhere() {
        World w = new World();
        w.migrations.start("c1", new Migrate("vm", "src", "dst", MigrationMode.LIVE, MigrationOptions.move(), NOW + 60_000,
                ""), org.virtbalancer.balancer.execute.Purpose.BALANCING, NOW);
        w.migrations.onResult(new CommandResult("c1", "src", "vm", ResultStatus.FAILED, 0, "port 49152 closed", null), NOW);
        fails(w.check(new NoEarlierFailure()), "migrating vm to dst failed recently: port 49152 closed");
    }

    @Test
    void thePlannerRunsEveryRuleAndKeepsEveryFailure() {
        World w = new World();
        w.dst = host("dst", "aarch64", "8.0.0", "10.9.0.0/24");
        w.maintenance.put("dst", MaintenanceState.ENTERING);
        Planner planner = new Planner(new PlanningPolicy(0.85, 0.70, 0.05, 300, true));
        Cluster cluster = new Cluster();
        cluster.applyInventory(new Inventory(host("src"), List.of(w.guest)), NOW);
        cluster.applyInventory(new Inventory(w.dst, List.of()), NOW);
        cluster.applySample(new HostLoad("dst", 10_000, 1, 0, 0, 0, List.of()), NOW);
        PlanningView view = new PlanningView(cluster, Projection.of(cluster), w.maintenance, Duration.ofSeconds(30),
                w.migrations, NOW);
        var verdict = planner.evaluate(new Placement(cluster.guest("src", "vm").orElseThrow(),
                cluster.host("src").orElseThrow(), "dst", MigrationMode.LIVE, MigrationOptions.move(), 0.70, 0.90),
                view);
        assertEquals(List.of("NotInMaintenance", "SameArchitecture", "NoBackwardMigration", "SameSubnet"),
                verdict.failures().stream().map(Explanation.RuleFailure::rule).toList());
    }
}
