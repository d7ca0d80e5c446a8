package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.GuestLoad;

/**
 * A guest's measured use, smoothed over samples so one spike does not trigger a move.
 *
 * @param smoothedCores  exponentially weighted CPU use, in cores
 * @param lastCores      CPU use in the last sample
 * @param dirtyRateMiBps last page-dirty rate
 * @param samples        how many samples went into it
 */
public record GuestUsage(double smoothedCores, double lastCores, double dirtyRateMiBps, int samples) {
    public static final GuestUsage NONE = new GuestUsage(0, 0, 0, 0);
    /** Weight of the newest sample in the smoothed value. */
    static final double ALPHA = 0.3;

    public GuestUsage next(GuestLoad load) {
        double smoothed = samples == 0 ? load.cpuCores() : ALPHA * load.cpuCores() + (1 - ALPHA) * smoothedCores;
        return new GuestUsage(smoothed, load.cpuCores(), load.dirtyRateMiBps(), samples + 1);
    }

    /** Conservative: a guest that just got busier is not assumed to be idle. */
    public double estimatedCores() {
        return Math.max(smoothedCores, lastCores);
    }
}
