package org.virtbalancer.protocol;

/**
 * What a migration did; zeros until it has done it.
 *
 * @param transferredMiB memory (and disk) copied
 * @param remainingMiB   still to copy
 * @param rounds         pre-copy rounds so far
 * @param elapsedMs      time since it started
 * @param downtimeMs     time the guest was paused at switch-over
 * @param dirtyRateMiBps the guest's page-dirty rate as last measured during the migration (0 when unknown)
 */
public record MigrationStats(long transferredMiB, long remainingMiB, int rounds, long elapsedMs, long downtimeMs,
                             double dirtyRateMiBps) {
    public static final MigrationStats NONE = new MigrationStats(0, 0, 0, 0, 0, 0);

    public MigrationStats {
        Check.nonNegative("transferredMiB", transferredMiB);
        Check.nonNegative("remainingMiB", remainingMiB);
        Check.nonNegative("rounds", rounds);
        Check.nonNegative("elapsedMs", elapsedMs);
        Check.nonNegative("downtimeMs", downtimeMs);
        Check.nonNegative("dirtyRateMiBps", dirtyRateMiBps);
    }
}
