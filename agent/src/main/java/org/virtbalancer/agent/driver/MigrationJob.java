package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.MigrationStats;

import java.util.Objects;

/**
 * What the hypervisor says, when an agent starts again, about a migration that an earlier run of
 * the agent asked it for ({@link HypervisorDriver#inspectMigration}). The hypervisor carries a
 * migration on its own (peer-to-peer: the source's libvirtd drives the job), so the agent's death
 * neither stops nor finishes it; this is how the new run finds out where it stands.
 */
public sealed interface MigrationJob {

    /**
     * The hypervisor still runs it: follow it with {@link HypervisorDriver#followMigration}.
     *
     * @param percent how far it is, 0-99
     * @param stats   what it has done so far
     */
    record Running(int percent, MigrationStats stats) implements MigrationJob {
        public Running {
            Objects.requireNonNull(stats, "stats");
        }
    }

    /**
     * No migration of the guest runs and the guest is on the target: running or paused there, or,
     * for an offline migration, defined there.
     *
     * @param stats what the migration did, as far as the hypervisor still knows; {@link MigrationStats#NONE} when not
     */
    record Moved(MigrationStats stats) implements MigrationJob {
        public Moved {
            Objects.requireNonNull(stats, "stats");
        }
    }

    /**
     * No migration of the guest runs and the guest is on this host: the migration failed, was
     * aborted, or never started.
     *
     * @param why   the hypervisor's own account of how its last migration of the guest ended; empty
     *              when it has none: the migration never started, or (libvirt) ended leaving no
     *              completed-job record, as a cancelled job does
     * @param stats what that migration did before it stopped; {@link MigrationStats#NONE} when unknown
     */
    record Stayed(String why, MigrationStats stats) implements MigrationJob {
        public Stayed {
            Objects.requireNonNull(why, "why");
            Objects.requireNonNull(stats, "stats");
        }
    }

    /**
     * No migration of the guest runs and the driver finds the guest neither on this host nor on the
     * target (or cannot ask the target).
     *
     * @param why what the driver saw, for the operator
     */
    record Missing(String why) implements MigrationJob {
        public Missing {
            Objects.requireNonNull(why, "why");
        }
    }
}
