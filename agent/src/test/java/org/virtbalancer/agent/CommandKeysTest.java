package org.virtbalancer.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandKeysTest {
    @TempDir Path dir;

    private static String key(String id, int seed) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) seed);
        return id + "=" + Base64.getEncoder().encodeToString(b) + "\n";
    }

    @Test
    void aChangedKeyFileIsReadAgainAndABrokenOneKeepsTheLastGoodKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), key("old", 1));
        CommandKeys keys = CommandKeys.open(file);
        assertEquals(Set.of("old"), keys.current().ids());

        Files.writeString(file, key("old", 1) + key("new", 2));
        assertEquals(Set.of("old", "new"), keys.current().ids());

        Files.writeString(file, key("new", 2));
        assertEquals(Set.of("new"), keys.current().ids());

        Files.writeString(file, "new=tooshort\n");
        assertEquals(Set.of("new"), keys.current().ids(), "a broken file keeps the last good keys");
        Files.delete(file);
        assertEquals(Set.of("new"), keys.current().ids(), "so does a missing one");
    }

    @Test
    void aMissingOrEmptyKeyFileStopsTheStartSayingWhatToDo() throws Exception {
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> CommandKeys.open(dir.resolve("none")));
        assertTrue(missing.getMessage().contains("cannot read the signing key file") && missing.getMessage().contains("chmod 600"),
                missing.getMessage());
        Path empty = Files.writeString(dir.resolve("empty"), "# no keys yet\n");
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> CommandKeys.open(empty));
        assertTrue(none.getMessage().contains("holds no key"), none.getMessage());
    }

    @Test
    void securityDefaultsToNoneAndChecksItsSettings() {
        assertFalse(CommandSecurity.NONE.signed());
        assertTrue(CommandSecurity.NONE.allows("any-host"));
        CommandSecurity s = CommandSecurity.NONE.withKeyFile(dir.resolve("k")).withAllowedTargets(Set.of("host-b"));
        assertTrue(s.signed());
        assertEquals(Optional.of(dir.resolve("k")), s.keyFile());
        assertTrue(s.allows("host-b"));
        assertFalse(s.allows("host-c"));
        assertEquals(Duration.ofMinutes(5), s.window());
        assertThrows(IllegalArgumentException.class, () -> s.withWindow(Duration.ZERO));
        assertThrows(RuntimeException.class, () -> s.withAllowedTargets(Set.of("not a host")));
    }
}
