package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.MigrationStats;

/** Told how far a running migration is; called on the migrating thread, so it must not block. */
@FunctionalInterface
public interface MigrationProgress {
    /**
     * @param percent 0-100
     * @param stats   what it has done so far
     */
    void progress(int percent, MigrationStats stats);
}
