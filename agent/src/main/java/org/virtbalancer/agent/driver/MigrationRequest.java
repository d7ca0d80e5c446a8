package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

import java.time.Instant;
import java.util.Objects;

/**
 * One migration for a driver to run. The target comes from the cluster inventory, never from a
 * command, so a message cannot point the hypervisor at an arbitrary address; the guest's and the
 * target's names are checked here again ({@link Check#name}), so nothing else reaches a driver.
 *
 * @param guest    domain name on this host
 * @param target   the target host's facts as the inventory knows them
 * @param mode     live, non-live or offline
 * @param options  virsh's options
 * @param deadline abort when not done by then
 */
public record MigrationRequest(String guest, HostFacts target, MigrationMode mode, MigrationOptions options,
                               Instant deadline) {
    public MigrationRequest {
        Check.name("guest", guest);
        Objects.requireNonNull(target, "target");
        Check.name("target", target.host());
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(deadline, "deadline");
    }
}
