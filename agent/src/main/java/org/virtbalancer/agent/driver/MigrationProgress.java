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

    /**
     * Something about how the migration ran that its outcome should tell the operator, in a few
     * words: it switched to post-copy, or the guest was paused when virsh's {@code --timeout}
     * passed. Called at most a few times per migration, from the migrating thread or the driver's
     * own threads, so it must not block; ignored unless overridden.
     */
    default void note(String text) {
    }
}
