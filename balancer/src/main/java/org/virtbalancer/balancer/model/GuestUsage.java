package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.GuestLoad;

/**
 * A guest's measured use, smoothed over samples so one spike does not trigger a move, and its
 * expected use: what it will most likely use over the next minutes.
 *
 * <p>The expected use is an exponentially weighted mean with a time constant of the forecast
 * window (90 minutes by default), weighted by each sample's interval so agents sampling every 10 s
 * and a replay sampling every minute forecast alike. Real guest CPU swings around a level rather
 * than wandering: in the PlanetLab traces consecutive 5-minute changes correlate at -0.48, and the
 * long mean predicts the next 5 minutes with about half the squared error of the last sample
 * (BENCHMARKS.md). The variance is that of the error of this forecast, over the same window.
 *
 * @param smoothedCores  exponentially weighted CPU use over the last few samples, in cores
 * @param lastCores      CPU use in the last sample
 * @param dirtyRateMiBps last page-dirty rate
 * @param samples        how many samples went into it
 * @param varianceCores2 exponentially weighted squared error of the expected use, in cores²: how far the guest
 *                       swings around it, so bursty guests can be spread over hosts
 * @param expectedCores  expected CPU use over the next minutes: the long weighted mean, in cores
 */
public record GuestUsage(double smoothedCores, double lastCores, double dirtyRateMiBps, int samples,
                         double varianceCores2, double expectedCores) {
    public static final GuestUsage NONE = new GuestUsage(0, 0, 0, 0, 0, 0);
    /** Weight of the newest sample in the smoothed value. */
    static final double ALPHA = 0.3;

    /**
     * Weight of a sample covering {@code intervalMs} in the expected use, for a forecast window of
     * {@code windowMs}: samples of any length then weigh as their share of the window.
     */
    public static double weight(long intervalMs, long windowMs) {
        return 1 - Math.exp(-(double) intervalMs / windowMs);
    }

    /**
     * The usage after one more sample.
     *
     * @param weight the sample's weight in the expected use and its variance, from {@link #weight}
     */
    public GuestUsage next(GuestLoad load, double weight) {
        double cores = load.cpuCores();
        if (samples == 0) {
            return new GuestUsage(cores, cores, load.dirtyRateMiBps(), 1, 0, cores);
        }
        double error = cores - expectedCores;
        return new GuestUsage(ALPHA * cores + (1 - ALPHA) * smoothedCores, cores, load.dirtyRateMiBps(), samples + 1,
                weight * error * error + (1 - weight) * varianceCores2, weight * cores + (1 - weight) * expectedCores);
    }

    /** Conservative: a guest that just got busier is not assumed to be idle. */
    public double estimatedCores() {
        return Math.max(smoothedCores, lastCores);
    }
}
