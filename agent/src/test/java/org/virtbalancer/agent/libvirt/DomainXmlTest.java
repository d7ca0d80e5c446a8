package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DomainXmlTest {

    static String fixture(String name) {
        try (InputStream in = DomainXmlTest.class.getResourceAsStream("/domains/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test fixture /domains/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsSataDiskWithCacheNoneAndCustomCpu() {
        DomainXml x = DomainXml.parse(fixture("sata-disk.xml"));
        assertEquals("web-1", x.name());
        assertEquals("0f6a1c8e-6c1a-4c55-9f7e-1d2f3a4b5c61", x.uuid());
        assertEquals(2, x.vcpus());
        assertEquals(2048, x.memoryMiB(), "configured <memory>, not the balloon");
        assertEquals("custom", x.cpuMode());
        assertEquals(List.of(new Disk("sda", "disk", "sata", "none", "/var/lib/libvirt/images/shared/web-1.qcow2", "", false)), x.disks());
        assertEquals(List.of("vnet3"), x.interfaceDevices());
        assertEquals(List.of(), x.hostDevices());
        assertFalse(x.filesystemPassthrough());
    }

    @Test
    void readsHostPassthroughCpuBlockDeviceWritebackAndCurrentVcpus() {
        DomainXml x = DomainXml.parse(fixture("host-passthrough.xml"));
        assertEquals("host-passthrough", x.cpuMode());
        assertEquals(3, x.vcpus(), "the vCPUs that run, not the hot-plug maximum");
        assertEquals(4096, x.memoryMiB());
        assertEquals(List.of(new Disk("vda", "disk", "virtio", "writeback", "/dev/vg0/db-1", "", false)), x.disks());
    }

    @Test
    void listsPciHostDevicesSriovInterfacesAndUsbDevices() {
        DomainXml x = DomainXml.parse(fixture("hostdev.xml"));
        assertEquals(List.of("pci 0000:03:00.0", "usb 0x046d:0xc52b", "pci 0000:04:10.1"), x.hostDevices());
        assertEquals("host-model", x.cpuMode());
    }

    @Test
    void flagsFilesystemPassthrough() {
        DomainXml x = DomainXml.parse(fixture("filesystem.xml"));
        assertTrue(x.filesystemPassthrough());
        assertEquals(512, x.memoryMiB(), "<memory> without a unit is KiB");
        assertEquals("", x.cpuMode(), "no <cpu> element: no CPU mode");
    }

    @Test
    void readsCacheModesNoneWritebackAndDefaultAsEmpty() {
        List<String> caches = DomainXml.parse(fixture("cache-modes.xml")).disks().stream().map(Disk::cache).toList();
        assertEquals(List.of("none", "writeback", ""), caches);
    }

    @Test
    void readsAttachedAndEmptyCdromsAndAFloppy() {
        List<Disk> disks = DomainXml.parse(fixture("removable-media.xml")).disks();
        assertEquals(List.of(
                new Disk("sdb", "cdrom", "ide", "", "/iso/debian-12.iso", "", true),
                new Disk("sdc", "cdrom", "ide", "", "", "", true),
                new Disk("fda", "floppy", "fdc", "", "/images/boot.img", "", false)), disks);
    }

    @Test
    void readsVolumeDiskWithItsPoolAndLabelsFromOurNamespaceOnly() {
        DomainXml x = DomainXml.parse(fixture("volume-disk.xml"));
        assertEquals(List.of(new Disk("vda", "disk", "virtio", "none", "gdata.qcow2", "shared", false)), x.disks());
        assertEquals(Map.of("affinity-group", "frontend", "pinned", "false"), x.labels(),
                "labels of other namespaces and keys that are not valid names are left out");
        assertEquals("custom", x.cpuMode(), "<cpu> without a mode is libvirt's custom mode");
        assertEquals(64, x.memoryMiB());
    }

    @Test
    void readsARunningTestBedGuestsVolumeDiskCdromVolumeAndFloppyFile() {
        // virsh dumpxml of a running guest on the test bed: a volume disk keeps only its pool and volume.
        List<Disk> disks = DomainXml.parse(fixture("testbed-volume-and-media.xml")).disks();
        assertEquals(List.of(
                new Disk("vda", "disk", "virtio", "", "/tmp/vb-testbed/shared/counter.img", "", true),
                new Disk("vdb", "disk", "virtio", "none", "gdata.qcow2", "shared", false),
                new Disk("hdc", "cdrom", "ide", "", "media.iso", "local", true),
                new Disk("fda", "floppy", "fdc", "", "/var/lib/libvirt/images/local/fd.img", "", false)), disks);
    }

    @Test
    void descriptorCarriesStateAndPersistenceFromLibvirt() {
        GuestDescriptor g = DomainXml.parse(fixture("hostdev.xml")).descriptor(GuestState.PAUSED, true);
        assertEquals("gpu-1", g.name());
        assertEquals(GuestState.PAUSED, g.state());
        assertTrue(g.persistent());
        assertEquals(1024, g.memoryMiB());
        assertEquals(List.of("pci 0000:03:00.0", "usb 0x046d:0xc52b", "pci 0000:04:10.1"), g.hostDevices());
    }

    @Test
    void convertsLibvirtMemoryUnits() {
        assertEquals(1024L * 1024 * 1024, DomainXml.bytes("1", "GiB"));
        assertEquals(1_000_000L, DomainXml.bytes("1", "MB"));
        assertEquals(2048L, DomainXml.bytes("2", ""));
        assertEquals(5L, DomainXml.bytes("5", "bytes"));
    }

    @Test
    void refusesWhatIsNotADomainDefinitionWithAReason() {
        IllegalArgumentException notDomain = assertThrows(IllegalArgumentException.class, () -> DomainXml.parse("<network/>"));
        assertTrue(notDomain.getMessage().contains("virsh dumpxml"), notDomain.getMessage());
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class, () -> DomainXml.parse("<domain><name>x"));
        assertTrue(broken.getMessage().contains("could not be parsed"), broken.getMessage());
        IllegalArgumentException nameless = assertThrows(IllegalArgumentException.class, () -> DomainXml.parse("<domain/>"));
        assertTrue(nameless.getMessage().contains("no <name>"), nameless.getMessage());
    }

    @Test
    void refusesDocumentTypeDeclarationsSoEntitiesCannotReadFiles() {
        String xxe = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><name>&e;</name></domain>";
        assertThrows(IllegalArgumentException.class, () -> DomainXml.parse(xxe));
    }
}
