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
 * that no command runs twice, also across restarts. Lines:
 * <ul>
 *   <li>{@code A <id> <guest>} when a migration was accepted, followed in the same write by
 *   {@code C <id> <acceptedAtMs> <command>}, the Migrate command as JSON, which a restarted agent
 *   needs to find out what became of the migration (older versions wrote no C line and skip it);</li>
 *   <li>{@code R <id> <sinceMs>} just before the command's final result is published;</li>
 *   <li>{@code D <id>} once a command has its final result (or needs none).</li>
 * </ul>
 * The R line closes the one gap in "exactly one final result": a crash after the result went out
 * but before the D line. An unfinished command with an R line may or may not have its result on
 * the results topic, so a restarted agent looks there (from {@code sinceMs} on) before reporting
 * again; one without an R line certainly has none. Writes block (fsync): call them from a worker thread.
 */
public final class ExecutedCommands implements AutoCloseable {
    static final String FILE_NAME = "executed-commands.log";

    private final Path file;
    private final FileChannel channel;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final Map<String, Unfinished> unfinished = new LinkedHashMap<>();

    /**
     * An accepted migration without a final result.
     *
     * @param guest            the guest it migrates
     * @param command          the Migrate command as JSON; empty when an older version accepted it
     * @param acceptedAtMs     when it was accepted; 0 when unknown
     * @param reportingSinceMs when its final result started going out; 0 when it never did
     */
    public record Unfinished(String guest, String command, long acceptedAtMs, long reportingSinceMs) {
        Unfinished withCommand(String json, long at) {
            return new Unfinished(guest, json, at, reportingSinceMs);
        }

        Unfinished reporting(long since) {
            return new Unfinished(guest, command, acceptedAtMs, since);
        }
    }

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
                unfinished.put(id, new Unfinished(decode(parts[2]), "", 0, 0));
            } else if (parts.length == 4 && parts[0].equals("C")) {
                String id = decode(parts[1]);
                long at = Long.parseLong(parts[2]);
                String command = decode(parts[3]);
                unfinished.computeIfPresent(id, (k, u) -> u.withCommand(command, at));
            } else if (parts.length == 3 && parts[0].equals("R")) {
                long since = Long.parseLong(parts[2]);
                // The first attempt counts: a result may have gone out since then.
                unfinished.computeIfPresent(decode(parts[1]), (k, u) -> u.reportingSinceMs() > 0 ? u : u.reporting(since));
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

    /** Remembers an accepted migration without its command (as older versions did); returns once it is on disk. */
    public synchronized void recordAccepted(String commandId, String guest) throws IOException {
        append("A " + encode(commandId) + " " + encode(guest));
        known.add(commandId);
        unfinished.put(commandId, new Unfinished(guest, "", 0, 0));
    }

    /**
     * Remembers an accepted migration with its command, so that a restarted agent can find out what
     * became of it; returns once it is on disk.
     *
     * @param command the Migrate command as JSON
     */
    public synchronized void recordAccepted(String commandId, String guest, String command, long acceptedAtMs) throws IOException {
        append("A " + encode(commandId) + " " + encode(guest) + "\nC " + encode(commandId) + " " + acceptedAtMs + " "
                + encode(command));
        known.add(commandId);
        unfinished.put(commandId, new Unfinished(guest, command, acceptedAtMs, 0));
    }

    /** Remembers that the command's final result is about to be published; returns once it is on disk. */
    public synchronized void recordReporting(String commandId, long nowMs) throws IOException {
        if (!unfinished.containsKey(commandId)) {
            return;
        }
        append("R " + encode(commandId) + " " + nowMs);
        unfinished.computeIfPresent(commandId, (k, u) -> u.reportingSinceMs() > 0 ? u : u.reporting(nowMs));
    }

    /** Remembers that the command has its final result; returns once it is on disk. */
    public synchronized void recordDone(String commandId) throws IOException {
        append("D " + encode(commandId));
        known.add(commandId);
        unfinished.remove(commandId);
    }

    /** Accepted migrations without a final result, in the order they were accepted: the agent stopped while they ran. */
    public synchronized Map<String, Unfinished> unfinished() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(unfinished));
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
