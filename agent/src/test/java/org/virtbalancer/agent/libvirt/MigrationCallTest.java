package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.libvirt.Domain.MigrateFlags;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.QemuIdentity;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MigrationCallTest {
    // virDomainMigrateFlags from libvirt-domain.h.
    private static final int LIVE = 1;
    private static final int PEER2PEER = 2;
    private static final int PERSIST_DEST = 8;
    private static final int UNDEFINE_SOURCE = 16;
    private static final int PAUSED = 32;
    private static final int NON_SHARED_DISK = 64;
    private static final int NON_SHARED_INC = 128;
    private static final int UNSAFE = 512;
    private static final int OFFLINE = 1024;
    private static final int COMPRESSED = 2048;
    private static final int AUTO_CONVERGE = 8192;
    private static final int POSTCOPY = 32768;
    private static final int PARALLEL = 131072;

    private static HostFacts target(String migrationAddress) {
        return new HostFacts("host-b", "x86_64", "Skylake", 8, 16384, 1250, "QEMU", "9.0.0", "7.2.0", "10.77.0.0/24",
                migrationAddress, "qemu+tcp://10.77.0.2/system", Map.of(), List.of(), QemuIdentity.UNKNOWN);
    }

    private static MigrationOptions options(boolean persistent, boolean undefine, boolean suspend, CopyStorage copy, int parallel,
                                            String uri, long bandwidth, boolean unsafe, long downtime, boolean autoConverge,
                                            boolean postCopy, boolean compressed) {
        return new MigrationOptions(persistent, undefine, suspend, copy, parallel, uri, bandwidth, unsafe, downtime, autoConverge,
                postCopy, compressed, 0, 0, false);
    }

    private static final MigrationOptions PLAIN = options(false, false, false, CopyStorage.NONE, 0, "", 0, false, 0, false, false, false);

    @Test
    void libvirtJavaFlagsHaveTheHeaderValues() {
        assertEquals(LIVE, MigrateFlags.LIVE);
        assertEquals(PEER2PEER, MigrateFlags.PEER2PEER);
        assertEquals(PERSIST_DEST, MigrateFlags.PERSIST_DEST);
        assertEquals(UNDEFINE_SOURCE, MigrateFlags.UNDEFINE_SOURCE);
        assertEquals(PAUSED, MigrateFlags.PAUSED);
        assertEquals(NON_SHARED_DISK, MigrateFlags.NON_SHARED_DISK);
        assertEquals(NON_SHARED_INC, MigrateFlags.NON_SHARED_INC);
        assertEquals(UNSAFE, MigrateFlags.UNSAFE);
        assertEquals(OFFLINE, MigrateFlags.OFFLINE);
        assertEquals(COMPRESSED, MigrateFlags.COMPRESSED);
        assertEquals(AUTO_CONVERGE, MigrateFlags.AUTO_CONVERGE);
        assertEquals(POSTCOPY, MigrateFlags.POSTCOPY);
        assertEquals(PARALLEL, MigrateFlags.PARALLEL);
    }

    @Test
    void liveMoveIsPeerToPeerToTheTargetsInventoryUri() {
        MigrationCall c = MigrationCall.of(MigrationMode.LIVE, MigrationOptions.move(), target(""));
        assertEquals(LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE, c.flags());
        assertEquals("qemu+tcp://10.77.0.2/system", c.destination());
        assertEquals(Map.of(), c.params());
        assertFalse(c.startPostCopy());
    }

    @Test
    void nonLiveHasNoLiveFlag() {
        assertEquals(PEER2PEER, MigrationCall.of(MigrationMode.NON_LIVE, PLAIN, target("")).flags());
    }

    @Test
    void offlineMovesThePersistentDefinitionOnly() {
        MigrationCall c = MigrationCall.of(MigrationMode.OFFLINE, PLAIN, target("10.77.0.2"));
        assertEquals(PEER2PEER | OFFLINE | PERSIST_DEST, c.flags());
        assertEquals(Map.of(), c.params(), "no memory stream, so no migrate URI");
    }

    @Test
    void everyOptionMapsToItsFlagOrParameter() {
        MigrationOptions all = options(true, true, true, CopyStorage.ALL, 4, "", 100, true, 300, true, true, true);
        MigrationCall c = MigrationCall.of(MigrationMode.LIVE, all, target("10.77.0.2"));
        assertEquals(LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE | PAUSED | NON_SHARED_DISK | UNSAFE | AUTO_CONVERGE
                | POSTCOPY | COMPRESSED | PARALLEL, c.flags());
        assertEquals(Map.of("parallel.connections", 4, "bandwidth", 100L, "migrate_uri", "tcp://10.77.0.2"), c.params());
        assertEquals(300, c.maxDowntimeMs());
        assertTrue(c.startPostCopy());
        assertEquals(3, c.typedParameters().length);
    }

    @Test
    void incrementalStorageCopyUsesNonSharedInc() {
        MigrationOptions inc = options(false, false, false, CopyStorage.INCREMENTAL, 0, "", 0, false, 0, false, false, false);
        assertEquals(LIVE | PEER2PEER | NON_SHARED_INC, MigrationCall.of(MigrationMode.LIVE, inc, target("")).flags());
    }

    @Test
    void migrateUriBracketsIpv6AndAcceptsOnlyTheTargetsOwnAddress() {
        assertEquals("tcp://[fd00::2]", MigrationCall.of(MigrationMode.LIVE, PLAIN, target("fd00::2")).params().get("migrate_uri"));
        MigrationOptions withPort = options(false, false, false, CopyStorage.NONE, 0, "tcp://10.77.0.2:49160", 0, false, 0, false, false, false);
        assertEquals("tcp://10.77.0.2:49160", MigrationCall.of(MigrationMode.LIVE, withPort, target("10.77.0.2")).params().get("migrate_uri"));
        MigrationOptions elsewhere = options(false, false, false, CopyStorage.NONE, 0, "tcp://203.0.113.9", 0, false, 0, false, false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationCall.of(MigrationMode.LIVE, elsewhere, target("10.77.0.2")));
        assertTrue(e.getMessage().contains("does not point at target host host-b"), e.getMessage());
    }

    @Test
    void virshsTimeoutActsOnLiveMigrationsAndTimeoutPostCopyMovesTheSwitchToPostCopyToTheTimeout() {
        MigrationOptions timeout = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 0, false, 0, false, true, false,
                0, 30, false);
        MigrationOptions timeoutPostCopy = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", 0, false, 0, false, true,
                false, 0, 30, true);

        MigrationCall suspend = MigrationCall.of(MigrationMode.LIVE, timeout, target(""));
        MigrationCall switchOver = MigrationCall.of(MigrationMode.LIVE, timeoutPostCopy, target(""));
        MigrationCall nonLive = MigrationCall.of(MigrationMode.NON_LIVE, timeout, target(""));

        assertEquals(30_000, suspend.timeoutMs());
        assertFalse(suspend.timeoutPostCopy(), "at the timeout the guest is suspended");
        assertTrue(suspend.startPostCopy(), "post-copy still comes after the pre-copy rounds");
        assertEquals(30_000, switchOver.timeoutMs());
        assertTrue(switchOver.timeoutPostCopy());
        assertFalse(switchOver.startPostCopy(), "with --timeout-postcopy the switch waits for the timeout, as in virsh");
        assertEquals(LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE | POSTCOPY, switchOver.flags(), "no flag of its own");
        assertEquals(0, nonLive.timeoutMs(), "a non-live migration pauses the guest from the start");
        assertFalse(nonLive.timeoutPostCopy());
    }

    @Test
    void targetWithoutLibvirtUriIsRefused() {
        HostFacts noUri = new HostFacts("host-b", "x86_64", "", 8, 16384, 1250, "QEMU", "", "", "", "", "", Map.of(), List.of(),
                QemuIdentity.UNKNOWN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationCall.of(MigrationMode.LIVE, PLAIN, noUri));
        assertTrue(e.getMessage().contains("set peerUri"), e.getMessage());
    }

    @Test
    void anInventoryUriThatWouldRunAProgramIsRefusedAndTheUsualTransportsPass() {
        for (String uri : List.of("qemu+ext:///system?command=/tmp/x", "qemu+ssh://h/system?command=/tmp/x",
                "qemu+ssh://h/system?keyfile=/k&Command=/tmp/x", "/no/scheme", "qemu+tcp://bad host/system")) {
            HostFacts forged = new HostFacts("host-b", "x86_64", "", 8, 16384, 1250, "QEMU", "", "", "", "10.77.0.2", uri,
                    Map.of(), List.of(), QemuIdentity.UNKNOWN);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MigrationCall.of(MigrationMode.LIVE, PLAIN, forged), uri);
            assertTrue(e.getMessage().contains("'" + uri + "'") && e.getMessage().contains("peerUri"), e.getMessage());
        }
        for (String uri : List.of("qemu+tls://kvm-07.example/system", "qemu+ssh://root@h/system?keyfile=/etc/k&no_verify=1",
                "qemu+tcp://10.77.0.2/system", "test+tcp://127.0.0.1:16509/default")) {
            HostFacts fine = new HostFacts("host-b", "x86_64", "", 8, 16384, 1250, "QEMU", "", "", "", "10.77.0.2", uri,
                    Map.of(), List.of(), QemuIdentity.UNKNOWN);
            assertEquals(uri, MigrationCall.of(MigrationMode.LIVE, PLAIN, fine).destination());
        }
    }
}
