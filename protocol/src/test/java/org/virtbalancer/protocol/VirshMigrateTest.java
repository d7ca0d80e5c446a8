package org.virtbalancer.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirshMigrateTest {
    /** Flags in virsh's order: live offline persistent undefinesource suspend copy-all copy-inc parallel. */
    private static VirshMigrate flags(boolean live, boolean offline, boolean persistent, boolean undefine, boolean suspend,
                                      boolean copyAll, boolean copyInc, boolean parallel) {
        return new VirshMigrate(live, offline, persistent, undefine, suspend, copyAll, copyInc, parallel, 0, 0, "", false,
                false, false, 0, false);
    }

    private static String refusal(Runnable r) {
        return assertThrows(InvalidMessageException.class, r::run).getMessage();
    }

    @Test
    void neitherLiveNorOfflineIsANonLiveMigrationLikeVirsh() {
        assertEquals(MigrationMode.NON_LIVE, flags(false, false, false, false, false, false, false, false).mode());
        assertEquals(MigrationMode.LIVE, flags(true, false, false, false, false, false, false, false).mode());
        assertEquals(MigrationMode.OFFLINE, flags(false, true, true, false, false, false, false, false).mode());
    }

    @Test
    void withoutPersistentTheTargetCopyIsTransientAndTheSourceKeepsItsDefinition() {
        MigrationOptions o = flags(true, false, false, false, false, false, false, false).options();
        assertFalse(o.persistent());
        assertFalse(o.undefineSource());
        MigrationOptions move = flags(true, false, true, true, false, false, false, false).options();
        assertTrue(move.persistent());
        assertTrue(move.undefineSource());
    }

    @Test
    void undefineSourceWithoutPersistentIsRefusedWithTheGuidesWarning() {
        String why = refusal(() -> flags(true, false, false, true, false, false, false, false));
        assertTrue(why.contains("both definitions are lost once the guest shuts down"), why);
        assertTrue(why.contains("add --persistent"), why);
    }

    @Test
    void offlineNeedsPersistentAndTakesNoRunningGuestOptions() {
        assertTrue(refusal(() -> flags(false, true, false, false, false, false, false, false)).contains("needs --persistent"));
        assertTrue(refusal(() -> flags(false, true, true, false, false, true, false, false)).startsWith("offline: --copy-storage-all"));
        assertTrue(refusal(() -> flags(false, true, true, false, true, false, false, false)).contains("--suspend"));
        assertTrue(refusal(() -> flags(true, true, true, false, false, false, false, false)).contains("exclude each other"));
    }

    @Test
    void optionsThatNeedALiveMigrationAreRefusedWithoutLive() {
        assertTrue(refusal(() -> new VirshMigrate(false, false, true, true, false, false, false, false, 0, 0, "", false,
                false, true, 0, false)).startsWith("postcopy: --postcopy needs --live"));
        assertTrue(refusal(() -> new VirshMigrate(false, false, true, true, false, false, false, false, 0, 0, "", false,
                true, false, 0, false)).startsWith("auto-converge: --auto-converge needs --live"));
        assertTrue(refusal(() -> new VirshMigrate(false, false, true, true, false, false, false, false, 0, 0, "", false,
                false, false, 30, false)).startsWith("timeout: --timeout needs --live"));
        assertTrue(refusal(() -> new VirshMigrate(true, false, true, true, false, false, false, false, 0, 0, "", false,
                false, false, 30, true)).startsWith("timeout-postcopy"));
    }

    @Test
    void everyOptionMapsOntoTheProtocol() {
        VirshMigrate v = new VirshMigrate(true, false, true, true, true, false, true, true, 4, 100, "tcp://10.77.0.2:49160",
                true, true, true, 30, true);
        MigrationOptions o = v.options();
        assertEquals(MigrationMode.LIVE, v.mode());
        assertTrue(o.persistent() && o.undefineSource() && o.suspendOnTarget() && o.unsafe() && o.autoConverge()
                && o.postCopy() && o.timeoutPostCopy());
        assertEquals(CopyStorage.INCREMENTAL, o.copyStorage());
        assertEquals(4, o.parallelConnections());
        assertEquals(100, o.bandwidthMiBps());
        assertEquals("tcp://10.77.0.2:49160", o.migrateUri());
        assertEquals(30, o.timeoutS());
        assertEquals("--live --persistent --undefinesource --suspend --copy-storage-inc --parallel --parallel-connections 4"
                + " --bandwidth 100 --migrateuri tcp://10.77.0.2:49160 --unsafe --auto-converge --postcopy --timeout 30"
                + " --timeout-postcopy", v.commandLine());
        assertEquals(CopyStorage.ALL, flags(true, false, true, true, false, true, false, false).options().copyStorage());
    }

    @Test
    void parallelWithoutACountUsesLibvirtsDefaultAndACountNeedsParallel() {
        assertEquals(VirshMigrate.DEFAULT_PARALLEL_CONNECTIONS,
                flags(true, false, true, true, false, false, false, true).options().parallelConnections());
        assertTrue(refusal(() -> new VirshMigrate(true, false, true, true, false, false, false, false, 4, 0, "", false,
                false, false, 0, false)).contains("--parallel-connections needs --parallel"));
        assertTrue(refusal(() -> flags(true, false, true, true, false, true, true, false)).contains("choose one"));
        assertTrue(refusal(() -> new VirshMigrate(true, false, true, true, false, false, false, false, 0, 0, "rdma://x",
                false, false, false, 0, false)).contains("tcp://ADDRESS"));
    }

    @Test
    void readsTheApiBodyUnderVirshsOptionNames() throws Exception {
        VirshMigrate v = new ObjectMapper().readValue("{\"live\":true,\"persistent\":true,\"undefinesource\":true,"
                + "\"copy-storage-all\":true,\"bandwidth\":50,\"timeout\":20}", VirshMigrate.class);
        assertEquals("--live --persistent --undefinesource --copy-storage-all --bandwidth 50 --timeout 20", v.commandLine());
    }
}
