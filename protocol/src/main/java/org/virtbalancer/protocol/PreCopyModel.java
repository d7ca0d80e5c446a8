package org.virtbalancer.protocol;

/**
 * How a pre-copy live migration behaves: round one copies all memory, each later round copies
 * what the guest dirtied during the previous one, until the rest can be sent within the allowed
 * downtime (then the guest pauses for that last copy) or it gives up. The simulated driver runs
 * migrations by this model and the planner predicts their cost with it, so both agree.
 */
public final class PreCopyModel {
    /** QEMU's default max downtime. */
    public static final long DEFAULT_MAX_DOWNTIME_MS = 300;
    /** Rounds after which a migration that has not converged is declared stuck. */
    public static final int MAX_ROUNDS = 30;
    /** Auto-converge throttles the guest's dirty rate by this factor each round from round 3 on. */
    public static final double AUTO_CONVERGE_FACTOR = 0.6;

    private PreCopyModel() {}

    /**
     * The predicted outcome.
     *
     * @param converges     whether it completes
     * @param rounds        pre-copy rounds (0 for non-live / offline)
     * @param transferredMiB total copied
     * @param durationMs    from start to the guest running on the target
     * @param downtimeMs    time the guest is paused
     * @param reason        why it does not converge; empty when it does
     */
    public record Prediction(boolean converges, int rounds, double transferredMiB, double durationMs, double downtimeMs,
                             String reason) {}

    /**
     * Predicts a live migration.
     *
     * @param memoryMiB      guest memory
     * @param dirtyMiBps     page-dirty rate
     * @param bandwidthMiBps link bandwidth available to this migration
     * @param maxDowntimeMs  allowed pause at switch-over
     * @param autoConverge   throttle the guest when it does not converge
     * @param postCopy       switch to post-copy after round 2 if not converged
     */
    public static Prediction live(double memoryMiB, double dirtyMiBps, double bandwidthMiBps, long maxDowntimeMs,
                                  boolean autoConverge, boolean postCopy) {
        if (bandwidthMiBps <= 0) {
            return new Prediction(false, 0, 0, 0, 0, "no bandwidth to the target");
        }
        double downtimeBudgetMiB = bandwidthMiBps * (maxDowntimeMs <= 0 ? DEFAULT_MAX_DOWNTIME_MS : maxDowntimeMs) / 1000.0;
        double toCopy = memoryMiB;
        double dirty = dirtyMiBps;
        double transferred = 0;
        double elapsedS = 0;
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            if (toCopy <= downtimeBudgetMiB) {
                double downS = toCopy / bandwidthMiBps;
                return new Prediction(true, round - 1, transferred + toCopy, (elapsedS + downS) * 1000, downS * 1000, "");
            }
            if (postCopy && round > 2) {
                // Switch over now; the rest of memory is pulled by the target on demand.
                double downS = Math.min(toCopy, downtimeBudgetMiB) / bandwidthMiBps;
                double restS = toCopy / bandwidthMiBps;
                return new Prediction(true, round - 1, transferred + toCopy, (elapsedS + restS) * 1000, downS * 1000, "");
            }
            double roundS = toCopy / bandwidthMiBps;
            transferred += toCopy;
            elapsedS += roundS;
            if (autoConverge && round >= 2) {
                dirty *= AUTO_CONVERGE_FACTOR;
            }
            toCopy = Math.min(memoryMiB, dirty * roundS);
        }
        return new Prediction(false, MAX_ROUNDS, transferred, elapsedS * 1000, 0, String.format(java.util.Locale.ROOT,
                "does not converge: dirty rate %.0f MiB/s against %.0f MiB/s of bandwidth leaves more than %d ms of"
                        + " downtime after %d rounds; allow auto-converge, post-copy or a non-live migration",
                dirtyMiBps, bandwidthMiBps, maxDowntimeMs <= 0 ? DEFAULT_MAX_DOWNTIME_MS : maxDowntimeMs, MAX_ROUNDS));
    }

    /** Non-live: pause, copy everything once, resume. */
    public static Prediction nonLive(double memoryMiB, double bandwidthMiBps) {
        if (bandwidthMiBps <= 0) {
            return new Prediction(false, 0, 0, 0, 0, "no bandwidth to the target");
        }
        double s = memoryMiB / bandwidthMiBps;
        return new Prediction(true, 0, memoryMiB, s * 1000, s * 1000, "");
    }

    /** Offline: only the definition moves. */
    public static Prediction offline() {
        return new Prediction(true, 0, 0, 50, 0, "");
    }
}
