package org.virtbalancer.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationJob;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What an agent reports, after its own restart, for a migration that an earlier run accepted and
 * never gave a final result: the migration's true outcome, found in the hypervisor, reported once.
 *
 * <p>The hypervisor carried the migration on without the agent (see
 * {@link org.virtbalancer.agent.sim.SimulatedFabric}: a peer-to-peer job belongs to libvirtd), so
 * the agent asks it ({@link HypervisorDriver#inspectMigration}) and decides:
 * <ul>
 *   <li>the job still runs: follow it to its end ({@link HypervisorDriver#followMigration}), which
 *   reports progress and then the final result, and aborts it if the command's deadline passes;</li>
 *   <li>the guest is on the target: SUCCEEDED;</li>
 *   <li>the guest is (still, or again) on this host: FAILED, with the hypervisor's account of why
 *   when it has one (libvirt keeps none of a cancelled job, the simulator keeps every one), or
 *   saying that it has none;</li>
 *   <li>the guest is on neither host: FAILED, asking the operator to look in the inventory.</li>
 * </ul>
 * The migration is never started again: the agent only ever looks at it and waits for it. A
 * command whose final result is already on the results topic (the earlier run died after
 * publishing it but before noting it done) is only noted done. Blocking (driver calls): call
 * {@link #decide} from a worker thread.
 */
final class Reconciler {

    /** What to do about one unfinished command. */
    sealed interface Decision permits AlreadyReported, Report, Follow {}

    /** Its final result is already on the results topic: only note it done. */
    record AlreadyReported() implements Decision {}

    /** Report this final result. */
    record Report(ResultStatus status, String reason, MigrationStats stats) implements Decision {}

    /** The hypervisor still runs the migration: follow it with {@code request}, never starting it anew. */
    record Follow(Migrate command, HostFacts target, MigrationRequest request) implements Decision {}

    private final String host;
    private final HypervisorDriver driver;
    private final Codec codec;
    private final Function<String, Optional<HostFacts>> cluster;

    /**
     * @param host    this agent's host
     * @param driver  its hypervisor
     * @param codec   reads the stored commands
     * @param cluster the inventory's facts of a host, when known
     */
    Reconciler(String host, HypervisorDriver driver, Codec codec, Function<String, Optional<HostFacts>> cluster) {
        this.host = host;
        this.driver = driver;
        this.codec = codec;
        this.cluster = cluster;
    }

    /**
     * @param unfinished what the executed-command memory holds about it
     * @param published  whether a final result of it from this host is already on the results topic
     * @throws DriverException when the hypervisor cannot be asked now; decide again later
     */
    Decision decide(ExecutedCommands.Unfinished unfinished, boolean published) throws DriverException {
        if (published) {
            return new AlreadyReported();
        }
        Optional<Migrate> command = command(unfinished.command());
        if (command.isEmpty()) {
            return withoutCommand(unfinished.guest());
        }
        Migrate m = command.get();
        Optional<HostFacts> targetFacts = cluster.apply(m.target());
        MigrationJob job = driver.inspectMigration(m.guest(), m.target(), targetFacts, m.mode());
        String restarted = "the agent on host " + host + " restarted while this migration ran";
        if (job instanceof MigrationJob.Running) {
            HostFacts target = targetFacts.orElseGet(() -> unknownHost(m.target()));
            return new Follow(m, target, new MigrationRequest(m.guest(), target, m.mode(), m.options(),
                    Instant.ofEpochMilli(deadline(m, unfinished.acceptedAtMs()))));
        }
        if (job instanceof MigrationJob.Moved moved) {
            return new Report(ResultStatus.SUCCEEDED, "migrated " + m.guest() + " to " + m.target() + " (" + restarted
                    + "; the hypervisor finished it)", moved.stats());
        }
        if (job instanceof MigrationJob.Stayed stayed) {
            String reason = stayed.why().isEmpty()
                    ? restarted + "; guest " + m.guest() + " is still on " + host + " and no migration of it runs, nor has the"
                    + " hypervisor a record of one (it never started, or ended leaving none): the guest did not move;"
                    + " reissue the command to move it"
                    : stayed.why() + " (" + restarted + "; guest " + m.guest() + " is on " + host + ")";
            return new Report(ResultStatus.FAILED, reason, stayed.stats());
        }
        return new Report(ResultStatus.FAILED, restarted + ", and " + ((MigrationJob.Missing) job).why()
                + ": check the inventory for where " + m.guest() + " is before reissuing", MigrationStats.NONE);
    }

    /**
     * The deadline the migration ran under: the command's, or {@code abortAfterS} from its
     * acceptance (it started then or a little later, so this errs early, never late).
     */
    static long deadline(Migrate m, long acceptedAtMs) {
        long abortAfterMs = m.options().abortAfterS() * 1000;
        return abortAfterMs > 0 && acceptedAtMs > 0 ? Math.min(m.deadlineTs(), acceptedAtMs + abortAfterMs) : m.deadlineTs();
    }

    private Optional<Migrate> command(String json) {
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(codec.mapper().readValue(json, Migrate.class));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Accepted by an older version, which kept no command: all there is to go on is whether the guest is still here. */
    private Decision withoutCommand(String guest) throws DriverException {
        List<GuestDescriptor> guests = driver.guests();
        String where = guests.stream().filter(g -> g.name().equals(guest)).findFirst()
                .map(g -> "is " + g.state().name().toLowerCase() + " on " + host)
                .orElse("is no longer on " + host);
        return new Report(ResultStatus.FAILED, "the agent on host " + host + " restarted while this migration ran; guest " + guest
                + " " + where + ": check the inventory before reissuing", MigrationStats.NONE);
    }

    /** The target has left the inventory: only its id is known, and the driver can ask only this host. */
    private static HostFacts unknownHost(String id) {
        return new HostFacts(id, "unknown", "", 1, 1, 1, "", "", "", "", "", "", Map.of(), List.of(), QemuIdentity.UNKNOWN);
    }
}
