package org.virtbalancer.balancer.plan;

/**
 * The planner's part of the balancer settings.
 *
 * @param highWatermark            ceiling for maintenance targets
 * @param lowWatermark             ceiling for balancing targets, and where a relieved source stops
 * @param minGainCores             a balancing move must free at least this much CPU
 * @param maxDowntimeMs            allowed pause at switch-over, for convergence predictions
 * @param allowPauseForMaintenance whether a drain may fall back to a non-live migration
 */
public record PlanningPolicy(double highWatermark, double lowWatermark, double minGainCores, long maxDowntimeMs,
                             boolean allowPauseForMaintenance) {}
