package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.StoragePool;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DiskLocationsTest {
    private static final StoragePool SHARED = new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "10.77.0.3",
            "/vol0", true);
    private static final StoragePool LOCAL = new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", true);
    private static final StoragePool ISO = new StoragePool("iso", "dir", "/srv/iso", "", "", false);
    private static final StoragePool CEPH = new StoragePool("ceph", "rbd", "", "mon1", "vms", true);
    private static final List<StoragePool> POOLS = List.of(LOCAL, SHARED, ISO, CEPH);

    /** What libvirt answers for volumes it knows. */
    private static final Map<String, String> KNOWN = Map.of("shared/gdata.qcow2", "/var/lib/libvirt/images/shared/gdata.qcow2",
            "ceph/vm-1", "vms/vm-1");

    private final List<String> asked = new ArrayList<>();

    private List<Disk> locate(Disk... disks) throws Exception {
        return DiskLocations.locate(List.of(disks), POOLS, (pool, volume) -> {
            asked.add(pool + "/" + volume);
            return Optional.ofNullable(KNOWN.get(pool + "/" + volume));
        });
    }

    @Test
    void aVolumeDiskGetsItsPathFromLibvirt() throws Exception {
        assertEquals(List.of(new Disk("vdb", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/gdata.qcow2", "shared", false)),
                locate(new Disk("vdb", "disk", "virtio", "none", "gdata.qcow2", "shared", false)));
        assertEquals(List.of(new Disk("vdc", "disk", "virtio", "none", "vms/vm-1", "ceph", false)),
                locate(new Disk("vdc", "disk", "virtio", "none", "vm-1", "ceph", false)), "an RBD volume's path is its name");
    }

    @Test
    void aVolumeOfAnInactiveDirectoryPoolIsTheFileInThePoolsDirectory() throws Exception {
        // libvirt knows no volumes of an inactive pool; a dir, fs or netfs pool holds them as files named so.
        assertEquals(List.of(new Disk("hdc", "cdrom", "ide", "", "/srv/iso/debian-12.iso", "iso", true)),
                locate(new Disk("hdc", "cdrom", "ide", "", "debian-12.iso", "iso", true)));
        assertEquals(List.of(new Disk("vdd", "disk", "virtio", "", "gone.qcow2", "nowhere", false)),
                locate(new Disk("vdd", "disk", "virtio", "", "gone.qcow2", "nowhere", false)),
                "a pool the host does not have leaves the volume's name");
    }

    @Test
    void aFileGetsTheDeepestPoolWhoseDirectoryHoldsIt() throws Exception {
        assertEquals(List.of(
                        new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/web.qcow2", "shared", false),
                        new Disk("vdb", "disk", "virtio", "none", "/var/lib/libvirt/images/web-data.qcow2", "default", false),
                        new Disk("sdb", "cdrom", "sata", "", "/srv/iso/debian-12.iso", "iso", true),
                        new Disk("fda", "floppy", "fdc", "", "/var/lib/libvirt/images-old/boot.img", "", false)),
                locate(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/web.qcow2", "", false),
                        new Disk("vdb", "disk", "virtio", "none", "/var/lib/libvirt/images/web-data.qcow2", "", false),
                        new Disk("sdb", "cdrom", "sata", "", "/srv/iso/debian-12.iso", "", true),
                        new Disk("fda", "floppy", "fdc", "", "/var/lib/libvirt/images-old/boot.img", "", false)));
        assertEquals(List.of(), asked, "files need no volume look-ups");
    }

    @Test
    void networkDisksAndEmptyDrivesStayAsTheyAre() throws Exception {
        Disk network = new Disk("vde", "disk", "virtio", "none", "nfs://10.77.0.3/export/ndata.qcow2", "", false);
        Disk empty = new Disk("hdd", "cdrom", "ide", "", "", "", true);
        assertEquals(List.of(network, empty), locate(network, empty));
    }
}
