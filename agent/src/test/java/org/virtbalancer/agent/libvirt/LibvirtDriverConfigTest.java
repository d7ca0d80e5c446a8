package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibvirtDriverConfigTest {

    @Test
    void defaultsLetPeersUseTheSameUri() {
        LibvirtDriverConfig c = LibvirtDriverConfig.of("host-a", "qemu:///system");
        assertEquals("qemu:///system", c.peerUri());
        assertEquals("", c.migrationAddress());
        assertEquals(1250, c.linkMiBps());
        assertEquals(Duration.ofMillis(500), c.pollInterval());
        assertEquals(Map.of(), c.labels());
    }

    @Test
    void withMethodsChangeOneSetting() {
        LibvirtDriverConfig c = LibvirtDriverConfig.of("host-a", "qemu:///system").withPeerUri("qemu+tcp://10.0.0.5/system")
                .withMigrationAddress("10.0.0.5").withSubnet("10.0.0.0/24").withLinkMiBps(117).withPollInterval(Duration.ofMillis(100))
                .withLabels(Map.of("rack", "r1"));
        assertEquals("qemu+tcp://10.0.0.5/system", c.peerUri());
        assertEquals("10.0.0.5", c.migrationAddress());
        assertEquals("10.0.0.0/24", c.subnet());
        assertEquals(117, c.linkMiBps());
        assertEquals(Duration.ofMillis(100), c.pollInterval());
        assertEquals(Map.of("rack", "r1"), c.labels());
        assertEquals("qemu:///system", c.uri());
    }

    @Test
    void badSettingsAreRefusedWithWhatToDo() {
        LibvirtDriverConfig ok = LibvirtDriverConfig.of("host-a", "qemu:///system");
        assertMessage("give a libvirt URI", () -> LibvirtDriverConfig.of("host-a", " "));
        assertMessage("has no scheme", () -> LibvirtDriverConfig.of("host-a", "system"));
        assertMessage("not a valid host id", () -> LibvirtDriverConfig.of("host a", "qemu:///system"));
        assertMessage("no scheme or port", () -> ok.withMigrationAddress("tcp://10.0.0.5"));
        assertMessage("CIDR", () -> ok.withSubnet("10.0.0.0"));
        assertMessage("linkMiBps", () -> ok.withLinkMiBps(0));
        assertMessage("pollInterval", () -> ok.withPollInterval(Duration.ZERO));
    }

    private static void assertMessage(String part, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
