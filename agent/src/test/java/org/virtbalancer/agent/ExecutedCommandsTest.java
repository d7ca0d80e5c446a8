package org.virtbalancer.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
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

    @Test
    void keepsTheAcceptedCommandAndWhenItsFinalResultStartedGoingOut(@TempDir Path dir) throws Exception {
        String command = "{\"guest\":\"web\",\"reason\":\"a reason with spaces\\nand a newline\"}";
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            store.recordAccepted("cmd-1", "web", command, 1000);
            store.recordAccepted("cmd-2", "db", "{}", 2000);
            store.recordReporting("cmd-2", 2500);
            store.recordReporting("cmd-2", 2600);
            store.recordAccepted("cmd-3", "mail", "{}", 3000);
            store.recordReporting("cmd-3", 3500);
            store.recordDone("cmd-3");
            store.recordReporting("never-accepted", 4000);
        }
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            assertEquals(Map.of("cmd-1", new ExecutedCommands.Unfinished("web", command, 1000, 0),
                    "cmd-2", new ExecutedCommands.Unfinished("db", "{}", 2000, 2500)), store.unfinished(),
                    "the first reporting attempt counts; a done command is no longer unfinished");
            assertEquals(List.of("cmd-1", "cmd-2"), List.copyOf(store.unfinished().keySet()), "in the order accepted");
            assertFalse(store.contains("never-accepted"));
            assertEquals(3, store.size());
        }
    }

    @Test
    void linesOfAnOlderVersionAndATornCommandLineStillReadAsAcceptedCommands(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(ExecutedCommands.FILE_NAME), "A old web\nA torn db\nC torn 5 %7B%22gu",
                StandardCharsets.UTF_8);
        try (ExecutedCommands store = ExecutedCommands.open(dir)) {
            assertEquals(Map.of("old", new ExecutedCommands.Unfinished("web", "", 0, 0),
                    "torn", new ExecutedCommands.Unfinished("db", "", 0, 0)), store.unfinished());
        }
    }
}
