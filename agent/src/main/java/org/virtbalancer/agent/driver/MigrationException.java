package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.MigrationStats;

/** A migration that did not complete; the guest stays on its source. */
public final class MigrationException extends DriverException {
    private final transient MigrationStats stats;

    /**
     * @param reason what went wrong and, where possible, what to do about it
     * @param stats  what it had done before it stopped
     */
    public MigrationException(String reason, MigrationStats stats) {
        super(reason);
        this.stats = stats == null ? MigrationStats.NONE : stats;
    }

    public MigrationException(String reason, MigrationStats stats, Throwable cause) {
        super(reason, cause);
        this.stats = stats == null ? MigrationStats.NONE : stats;
    }

    /** The reason, for results and logs. */
    public String reason() {
        return getMessage();
    }

    public MigrationStats stats() {
        return stats;
    }
}
