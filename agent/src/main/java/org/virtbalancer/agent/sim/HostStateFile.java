package org.virtbalancer.agent.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.MigrationStats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One simulated host's hypervisor state in a JSON file, {@code <state dir>/<host>/}{@value #FILE_NAME},
 * next to the agent's own memory of that host: what a real host keeps in libvirtd and QEMU, which
 * outlive the agent. Each write replaces the whole file atomically (a temporary file renamed over
 * it), so a process killed mid-write leaves the previous state or the new one, never a torn file.
 * Not fsynced: the simulated hypervisor has to survive its process, not the machine's power.
 */
final class HostStateFile {
    static final String FILE_NAME = "simulated-host.json";
    static final int VERSION = 1;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** A guest as the host's hypervisor knows it; {@code cpuCores} or {@code trace} says where its CPU load comes from. */
    record Guest(String name, String uuid, int vcpus, long memoryMiB, GuestState state, boolean persistent,
                 double dirtyRateMiBps, Double cpuCores, String trace, int traceOffset, double netMiBps, double diskMiBps,
                 List<Disk> disks, Map<String, String> labels, Boolean pausedSinceArrival) {}

    /**
     * A migration out of this host in flight: everything needed to replay its timeline, which depends
     * only on when it started. {@code failAtMs} (simulated ms) and {@code injectedFailure} are set
     * when a test hook made it fail half-way.
     */
    record Flight(String guest, String target, MigrationMode mode, MigrationOptions options, long startMs, long deadlineMs,
                  GuestState originalState, long memoryMiB, double dirtyRateMiBps, double bandwidthMiBps, Double failAtMs,
                  String injectedFailure) {}

    /** How the last migration of a guest out of this host ended, as libvirt keeps a completed job's stats. */
    record FinishedJob(String guest, String target, boolean succeeded, String reason, MigrationStats stats, long endMs) {}

    /** The file's content. */
    record Saved(int version, String host, long traceEpochMs, List<Guest> guests, List<Flight> migrations,
                 List<FinishedJob> finished) {
        Saved {
            guests = guests == null ? List.of() : List.copyOf(guests);
            migrations = migrations == null ? List.of() : List.copyOf(migrations);
            finished = finished == null ? List.of() : List.copyOf(finished);
        }
    }

    private final Path file;

    HostStateFile(Path stateRoot, String host) {
        this.file = stateRoot.resolve(host).resolve(FILE_NAME);
    }

    Path path() {
        return file;
    }

    /** The saved state, or empty when the host has none yet. */
    Optional<Saved> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Saved saved;
        try {
            saved = JSON.readValue(file.toFile(), Saved.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("the simulated state in " + file + " is unreadable (" + e.getMessage()
                    + "): move it away to start that host afresh", e);
        }
        if (saved.version() != VERSION) {
            throw new IllegalStateException("the simulated state in " + file + " has version " + saved.version()
                    + " but this build reads version " + VERSION + ": move it away to start that host afresh");
        }
        return Optional.of(saved);
    }

    void write(Saved state) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(state));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not save the simulated state of host " + state.host() + " to " + file + ": "
                    + e.getMessage() + "; check that the state directory is writable", e);
        }
    }
}
