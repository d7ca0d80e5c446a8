package org.virtbalancer.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecutedCommandsTest {
    @Test
    void remembersCommandIdsAcrossReopen(@TempDir Path dir) throws Exception {
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            store.recordAccepted("cmd-1", "web");
            store.recordDone("cmd-1");
            store.recordAccepted("odd id\nwith spaces", "db");
            store.recordDone("rejected-1");
        }
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            assertTrue(store.contains("cmd-1"));
            assertTrue(store.contains("odd id\nwith spaces"));
            assertTrue(store.contains("rejected-1"));
            assertFalse(store.contains("cmd-2"));
            assertEquals(Map.of("odd id\nwith spaces", new ExecutedCommands.Unfinished("db", "", 0, 0)), store.unfinished(),
                    "accepted without a final result");
        }
    }

    @Test
    void aTornLastLineFromACrashIsIgnored(@TempDir Path dir) throws Exception {
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            store.recordAccepted("cmd-1", "web");
        }
        Files.writeString(dir.resolve(ExecutedCommands.FILE_NAME), "D cm", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            assertTrue(store.contains("cmd-1"));
            assertFalse(store.contains("cm"));
            assertEquals(1, store.size());
            store.recordDone("cmd-2");
        }
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            assertTrue(store.contains("cmd-2"), "a record appended after a torn line is read back");
        }
    }
}
