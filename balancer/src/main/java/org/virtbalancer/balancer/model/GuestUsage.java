package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.GuestLoad;

/**
 * A guest's measured use, smoothed over samples so one spike does not trigger a move.
 *
 * @param smoothedCores  exponentially weighted CPU use, in cores
 * @param lastCores      CPU use in the last sample
 * @param dirtyRateMiBps last page-dirty rate
 * @param samples        how many samples went into it
 * @param varianceCores2 exponentially weighted variance of CPU use around the smoothed value, in cores²:
 *                       how far the guest swings, so bursty guests can be spread over hosts
 */
public record GuestUsage(double smoothedCores, double lastCores, double dirtyRateMiBps, int samples,
                         double varianceCores2) {
    public static final GuestUsage NONE = new GuestUsage(0, 0, 0, 0, 0);
    /** Weight of the newest sample in the smoothed value. */
    static final double ALPHA = 0.3;
    /** Weight of the newest sample in the variance: a longer memory than the mean's. */
    static final double BETA = 0.05;

    public GuestUsage next(GuestLoad load) {
        double smoothed = samples == 0 ? load.cpuCores() : ALPHA * load.cpuCores() + (1 - ALPHA) * smoothedCores;
        double deviation = load.cpuCores() - smoothedCores;
        double variance = samples == 0 ? 0 : BETA * deviation * deviation + (1 - BETA) * varianceCores2;
        return new GuestUsage(smoothed, load.cpuCores(), load.dirtyRateMiBps(), samples + 1, variance);
    }

    /** Conservative: a guest that just got busier is not assumed to be idle. */
    public double estimatedCores() {
        return Math.max(smoothedCores, lastCores);
    }
}
