package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.protocol.QemuIdentity;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QemuIdentityFilesTest {

    private static Path fixture(String name) {
        try {
            return Path.of(QemuIdentityFilesTest.class.getResource("/qemu-identity/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture /qemu-identity/" + name, e);
        }
    }

    private static QemuIdentity read(Path qemuConf) {
        return new QemuIdentityFiles(qemuConf, fixture("passwd"), fixture("group")).read();
    }

    @Test
    void withoutUserAndGroupSettingsQemuRunsAsDebiansLibvirtQemu() {
        assertEquals(new QemuIdentity(64055, Map.of("kvm", 994L, "qemu", 107L, "libvirt", 995L, "libvirt-qemu", 64055L)),
                read(fixture("qemu-debian-default.conf")));
    }

    @Test
    void aMissingQemuConfMeansLibvirtsDefaultsToo(@TempDir Path dir) {
        assertEquals(64055, read(dir.resolve("qemu.conf")).uid());
    }

    @Test
    void configuredUserAndGroupAreResolvedByName() {
        assertEquals(new QemuIdentity(2001, Map.of("kvm", 994L, "qemu", 107L, "libvirt", 995L, "vmrunners", 2001L)),
                read(fixture("qemu-configured.conf")));
    }

    @Test
    void plusPrefixedSettingsAreIdsAndTheGroupIsReportedUnderItsName() {
        QemuIdentity id = read(fixture("qemu-numeric.conf"));
        assertEquals(0, id.uid());
        assertEquals(107L, id.gids().get("qemu"));
        assertEquals(3, id.gids().size(), () -> "gids were " + id.gids());
    }

    @Test
    void anUnreadableQemuConfLeavesTheUserUnknownButKeepsTheWellKnownGroups(@TempDir Path dir) throws IOException {
        // A directory stands in for a root-only file: reading it fails for any user, root included.
        QemuIdentity id = read(Files.createDirectory(dir.resolve("qemu.conf")));
        assertEquals(-1, id.uid());
        assertEquals(Map.of("kvm", 994L, "qemu", 107L, "libvirt", 995L), id.gids());
    }

    @Test
    void unreadableAccountDatabasesGiveUnknown(@TempDir Path dir) {
        QemuIdentity id = new QemuIdentityFiles(fixture("qemu-configured.conf"), dir.resolve("passwd"), dir.resolve("group")).read();
        assertEquals(QemuIdentity.UNKNOWN, id);
    }

    @Test
    void onlyTheLocalSystemDaemonIsDescribedByThisMachinesFiles() {
        assertTrue(QemuIdentityFiles.describesLocalSystemDaemon("qemu:///system"));
        assertTrue(QemuIdentityFiles.describesLocalSystemDaemon("qemu+unix:///system?socket=/run/libvirt/libvirt-sock"));
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("qemu+unix:///system?socket=/tmp/tb/hosts/A/run/libvirt-sock"),
                "a daemon on another socket has its own qemu.conf");
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("qemu:///session"));
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("qemu+tcp://10.0.0.5/system"));
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("qemu+ssh://root@host-b/system"));
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("test:///default"));
        assertFalse(QemuIdentityFiles.describesLocalSystemDaemon("not a uri"));
    }

    @Test
    void migrationPortsComeFromQemuConfOrLibvirtsDefault(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("qemu.conf");
        assertEquals(java.util.Optional.of("49152-49215"), new QemuIdentityFiles(conf, fixture("passwd"), fixture("group")).migrationPorts());
        Files.writeString(conf, "migration_port_min = 50000\n# migration_port_max = 1\nmigration_port_max = 50063 # narrow\n");
        assertEquals(java.util.Optional.of("50000-50063"), new QemuIdentityFiles(conf, fixture("passwd"), fixture("group")).migrationPorts());
    }
}
