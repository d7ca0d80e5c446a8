package org.virtbalancer.agent;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The command ids this host has ever acted on, in an append-only file in the state directory, so
 * that no command runs twice, also across restarts. Lines: {@code A <id> <guest>} when a migration
 * was accepted, {@code D <id>} when a command got its final result (or needs none). Writes block
 * (fsync): call them from a worker thread.
 */
public final class ExecutedCommands implements AutoCloseable {
    static final String FILE_NAME = "executed-commands.log";

    private final Path file;
    private final FileChannel channel;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final Map<String, String> unfinished = new LinkedHashMap<>();

    private ExecutedCommands(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (creating if needed) the store in {@code stateDir} and reads what it remembers. */
    public static ExecutedCommands open(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve(FILE_NAME);
        ExecutedCommands store = new ExecutedCommands(file, FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        String content = Files.readString(file, StandardCharsets.UTF_8);
        int complete = content.lastIndexOf('\n') + 1;
        if (complete < content.length()) {
            // A torn last line from a crash mid-write: its command was never acknowledged, so drop it.
            store.channel.truncate(content.substring(0, complete).getBytes(StandardCharsets.UTF_8).length);
        }
        for (String line : content.substring(0, complete).split("\n")) {
            store.replay(line);
        }
        return store;
    }

    private void replay(String line) {
        String[] parts = line.split(" ");
        try {
            if (parts.length == 3 && parts[0].equals("A")) {
                String id = decode(parts[1]);
                known.add(id);
                unfinished.put(id, decode(parts[2]));
            } else if (parts.length == 2 && parts[0].equals("D")) {
                String id = decode(parts[1]);
                known.add(id);
                unfinished.remove(id);
            }
        } catch (IllegalArgumentException e) {
            // Not written by this class (hand-edited): skip it rather than refuse to start.
        }
    }

    /** Whether the command was acted on before (by this or an earlier run). */
    public boolean contains(String commandId) {
        return known.contains(commandId);
    }

    /** Remembers an accepted migration; returns once it is on disk. */
    public synchronized void recordAccepted(String commandId, String guest) throws IOException {
        append("A " + encode(commandId) + " " + encode(guest));
        known.add(commandId);
        unfinished.put(commandId, guest);
    }

    /** Remembers that the command has its final result; returns once it is on disk. */
    public synchronized void recordDone(String commandId) throws IOException {
        append("D " + encode(commandId));
        known.add(commandId);
        unfinished.remove(commandId);
    }

    /** Accepted migrations without a final result: the agent stopped while they ran. Command id → guest. */
    public synchronized Map<String, String> unfinished() {
        return Map.copyOf(unfinished);
    }

    public Path file() {
        return file;
    }

    /** How many ids it remembers. */
    public int size() {
        return known.size();
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    private void append(String line) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** For log lines. */
    @Override
    public String toString() {
        return "ExecutedCommands[" + file + ", " + known.size() + " ids]";
    }
}
