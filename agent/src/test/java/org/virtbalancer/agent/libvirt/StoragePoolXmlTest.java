package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.InvalidMessageException;
import org.virtbalancer.protocol.StoragePool;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoragePoolXmlTest {

    static String fixture(String name) {
        try (InputStream in = StoragePoolXmlTest.class.getResourceAsStream("/pools/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test fixture /pools/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsALocalDirectoryPoolWithoutSource() {
        assertEquals(new StoragePool("default", "dir", "/var/lib/libvirt/images", "", "", true),
                StoragePoolXml.parse(fixture("dir.xml"), true));
    }

    @Test
    void readsAnNfsPoolsServerAndExport() {
        assertEquals(new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "nfs.example.org", "/export/images", false),
                StoragePoolXml.parse(fixture("netfs-nfs.xml"), false));
    }

    @Test
    void readsTheFirstServerOfAGlusterfsPool() {
        assertEquals(new StoragePool("gluster-vms", "netfs", "/mnt/gluster-vms", "gluster1.example.org", "/gv0", true),
                StoragePoolXml.parse(fixture("netfs-glusterfs.xml"), true));
    }

    @Test
    void readsTheFirstDeviceOfALogicalPool() {
        assertEquals(new StoragePool("vg_guests", "logical", "/dev/vg_guests", "", "/dev/sdb1", true),
                StoragePoolXml.parse(fixture("logical.xml"), true));
    }

    @Test
    void readsTheTestBedsGlusterfsPoolAsLibvirtPrintsIt() {
        // virsh pool-dumpxml of deploy/testbed/shared-storage.sh's pool, with its fs: mount options
        assertEquals(new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared", "10.77.0.3", "/vol0", true),
                StoragePoolXml.parse(fixture("netfs-glusterfs-testbed.xml"), true));
    }

    @Test
    void anRbdPoolHasNoTargetPathAndItsCephPoolAsSource() {
        assertEquals(new StoragePool("ceph-vms", "rbd", "", "mon1.example.org", "vms", true),
                StoragePoolXml.parse(fixture("rbd.xml"), true));
    }

    @Test
    void aNativeGlusterPoolsSourceIsItsVolumeAndDirectory() {
        assertEquals(new StoragePool("gluster-native", "gluster", "", "gluster1.example.org", "gv0/vms", true),
                StoragePoolXml.parse(fixture("gluster.xml"), true));
        assertEquals("gv0", StoragePoolXml.parse("<pool type='gluster'><name>g</name><source><host name='h'/><dir path='/'/>"
                + "<name>gv0</name></source></pool>", true).sourcePath(), "the volume's root adds no directory");
    }

    @Test
    void refusesWhatIsNotAPoolDefinitionWithAReason() {
        IllegalArgumentException notPool = assertThrows(IllegalArgumentException.class, () -> StoragePoolXml.parse("<domain/>", true));
        assertTrue(notPool.getMessage().contains("virsh pool-dumpxml"), notPool.getMessage());
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class,
                () -> StoragePoolXml.parse("<pool type='dir'><name>x", true));
        assertTrue(broken.getMessage().contains("could not be parsed"), broken.getMessage());
        IllegalArgumentException typeless = assertThrows(IllegalArgumentException.class,
                () -> StoragePoolXml.parse("<pool><name>x</name></pool>", true));
        assertTrue(typeless.getMessage().contains("type attribute"), typeless.getMessage());
        InvalidMessageException badName = assertThrows(InvalidMessageException.class,
                () -> StoragePoolXml.parse("<pool type='dir'><name>my pool</name></pool>", true));
        assertTrue(badName.getMessage().contains("not a valid name"), badName.getMessage());
    }

    @Test
    void refusesDocumentTypeDeclarationsSoEntitiesCannotReadFiles() {
        String xxe = "<?xml version='1.0'?><!DOCTYPE p [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><pool type='dir'><name>&e;</name></pool>";
        assertThrows(IllegalArgumentException.class, () -> StoragePoolXml.parse(xxe, true));
    }
}
