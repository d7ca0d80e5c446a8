package org.virtbalancer.balancer.plan;

/**
 * The planner's part of the balancer settings.
 *
 * @param highWatermark            CPU ceiling for every target, now and expected: a move never makes a host hot
 * @param lowWatermark             CPU level a relieved source is brought down to
 * @param minGainCores             a balancing move must free at least this much CPU
 * @param maxDowntimeMs            allowed pause at switch-over, for convergence predictions
 * @param allowPauseForMaintenance whether a drain may fall back to a non-live migration
 * @param memoryWatermark          no target is filled beyond this share of its memory; above it a host is overloaded
 * @param targetImbalance          standard deviation of hosts' expected, burst-weighted CPU above which imbalance
 *                                 moves are planned
 * @param minImbalanceGain         least cut in the sum of squared deviations one imbalance move must bring
 * @param setupSeconds             fixed cost of any migration, added to its predicted duration when weighing cost
 * @param burstWeight              standard deviations of a host's guests' combined CPU swings added to its expected
 *                                 CPU when imbalance is weighed
 * @param balancingFallbacks       what a balancing move may use when plain live migration would not converge
 */
public record PlanningPolicy(double highWatermark, double lowWatermark, double minGainCores, long maxDowntimeMs,
                             boolean allowPauseForMaintenance, double memoryWatermark, double targetImbalance,
                             double minImbalanceGain, double setupSeconds, double burstWeight,
                             MigrationChoice.Fallbacks balancingFallbacks) {

    /** The defaults of the newer settings: memory limit 0.90, imbalance 0.03 with gain 0.005, 2 s set-up, burst weight 1,
     * auto-converge allowed for balancing. */
    public PlanningPolicy(double highWatermark, double lowWatermark, double minGainCores, long maxDowntimeMs,
                          boolean allowPauseForMaintenance) {
        this(highWatermark, lowWatermark, minGainCores, maxDowntimeMs, allowPauseForMaintenance, 0.90, 0.03, 0.005, 2.0,
                1.0, new MigrationChoice.Fallbacks(true, false, false));
    }

    /**
     * Memory level a host that went over the memory limit is brought down to (and must fall under to
     * clear): a third of the CPU watermarks' gap under the limit. Memory hardly moves from minute to
     * minute, so a small margin is hysteresis enough, and a host merely full to 0.80 needs no relief.
     */
    public double memoryLowWatermark() {
        return Math.max(0, memoryWatermark - (highWatermark - lowWatermark) / 3);
    }

    /** Whether a host at this load needs no relief: CPU and memory at or under their low marks. */
    public boolean relieved(double cpu, double memory) {
        return cpu <= lowWatermark && memory <= memoryLowWatermark();
    }

    /** How far a host is above its low marks, in the more pressing resource; 0 when relieved. */
    public double excess(double cpu, double memory) {
        return Math.max(0, Math.max(cpu - lowWatermark, memory - memoryLowWatermark()));
    }

    /** Seconds a migration costs: the fixed set-up and the predicted copy. */
    public double costSeconds(double predictedDurationMs) {
        return setupSeconds + predictedDurationMs / 1000.0;
    }
}
