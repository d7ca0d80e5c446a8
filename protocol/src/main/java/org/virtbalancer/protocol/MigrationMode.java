package org.virtbalancer.protocol;

/** The seed's three kinds of migration. */
public enum MigrationMode {
    /** Memory copied while the guest runs (VIR_MIGRATE_LIVE). */
    LIVE,
    /** Guest paused, memory copied, guest resumed on the target. */
    NON_LIVE,
    /** Definition only, for a shut-off persistent guest (VIR_MIGRATE_OFFLINE + PERSIST_DEST). */
    OFFLINE
}
