package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.plan.MigrationChoice;
import org.virtbalancer.protocol.AutomationLevel;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * How the balancer decides.
 *
 * @param highWatermark            a sample above this (cpu or memory, 0-1) counts as hot; ceiling for maintenance targets
 * @param lowWatermark             an overloaded host clears below this; balancing targets stay at or under it
 * @param overloadK                hot samples needed ...
 * @param overloadN                ... out of the last n to call a host overloaded
 * @param guestCooldown            after a move a guest is left alone by balancing this long
 * @param maxPerSource             migrations leaving one host at once
 * @param maxPerTarget             migrations arriving at one host at once
 * @param maxInCluster             migrations in the cluster at once
 * @param minDeadline              shortest deadline given to a migration
 * @param maxDowntimeMs            allowed pause at switch-over
 * @param hostStaleAfter           a host silent this long receives nothing
 * @param automation               starting automation level
 * @param allowPauseForMaintenance whether a drain may pause a guest that will not converge live
 * @param maxAttemptsPerGuest      failed attempts after which a guest is left alone (or reported blocked)
 * @param minGainCores             a balancing move must free at least this much CPU
 * @param memoryWatermark          memory (allocated to running guests, 0-1) above this is overloaded, and no
 *                                 target may be filled beyond it: memory is a hard limit, not a load to spread
 * @param targetImbalance          the cluster counts as unbalanced while the standard deviation of its hosts'
 *                                 normalised CPU load is above this; then moves that narrow it are planned
 * @param minImbalanceGain         an imbalance move must cut the sum of squared CPU deviations by at least this
 *                                 (a 1-core move from a 0.85 to a 0.55 host of 32 CPUs cuts it by 0.017)
 * @param setupSeconds             fixed cost of any migration (target QEMU start-up, handshake), added to the
 *                                 predicted copy time when moves are weighed by cost
 * @param burstWeight              imbalance moves balance each host's CPU plus this many standard deviations of
 *                                 its guests' combined swings, so bursty guests end up on different hosts (0 = off)
 * @param balancingFallbacks       what a balancing move may use when a plain live migration would not converge
 *                                 (maintenance may use all of them, pausing only if allowPauseForMaintenance)
 */
public record BalancerSettings(double highWatermark, double lowWatermark, int overloadK, int overloadN,
                               Duration guestCooldown, int maxPerSource, int maxPerTarget, int maxInCluster,
                               Duration minDeadline, long maxDowntimeMs, Duration hostStaleAfter,
                               AutomationLevel automation, boolean allowPauseForMaintenance, int maxAttemptsPerGuest,
                               double minGainCores, double memoryWatermark, double targetImbalance,
                               double minImbalanceGain, double setupSeconds, double burstWeight,
                               MigrationChoice.Fallbacks balancingFallbacks, Duration forecastWindow,
                               boolean spikeRelief) {
    public BalancerSettings {
        if (!(lowWatermark > 0 && lowWatermark < highWatermark)) {
            throw new IllegalArgumentException("lowWatermark must be above 0 and below highWatermark, got low "
                    + lowWatermark + " and high " + highWatermark);
        }
        if (overloadK < 1 || overloadN < overloadK) {
            throw new IllegalArgumentException("need 1 <= overloadK <= overloadN, got " + overloadK + " of " + overloadN);
        }
        if (maxPerSource < 1 || maxPerTarget < 1 || maxInCluster < 1 || maxAttemptsPerGuest < 1) {
            throw new IllegalArgumentException("concurrency limits and maxAttemptsPerGuest must be at least 1");
        }
        if (!(memoryWatermark > 0 && memoryWatermark <= 1)) {
            throw new IllegalArgumentException("memoryWatermark is a share of memory above 0 and at most 1, got "
                    + memoryWatermark);
        }
        if (targetImbalance < 0 || minImbalanceGain < 0 || setupSeconds < 0 || burstWeight < 0) {
            throw new IllegalArgumentException("targetImbalance, minImbalanceGain, setupSeconds and burstWeight must not be negative");
        }
        if (balancingFallbacks == null) {
            throw new IllegalArgumentException("balancingFallbacks is required");
        }
        if (guestCooldown == null || minDeadline == null || hostStaleAfter == null || automation == null
                || forecastWindow == null) {
            throw new IllegalArgumentException("guestCooldown, minDeadline, hostStaleAfter, automation and forecastWindow"
                    + " are required");
        }
        if (forecastWindow.isNegative() || forecastWindow.isZero()) {
            throw new IllegalArgumentException("forecastWindow must be longer than zero, got " + forecastWindow);
        }
        if (guestCooldown.isNegative() || minDeadline.isNegative() || hostStaleAfter.isNegative()
                || maxDowntimeMs < 0 || minGainCores < 0) {
            throw new IllegalArgumentException("durations, maxDowntimeMs and minGainCores must not be negative");
        }
    }

    /**
     * 0.85 / 0.70 watermarks, 3 hot samples of 5 (30 s at the agents' 10 s interval), 30 min cooldown
     * (with 5 min the trace replay saw guests move back within half an hour),
     * 2 per source, 2 per target, 8 in the cluster, 60 s minimum deadline, 300 ms downtime (QEMU's
     * default), stale after 30 s (three missed samples), full automation, pausing allowed for
     * maintenance, 3 attempts per guest, moves must free at least 0.05 cores, memory limit 0.90, imbalance
     * target 0.03 with a least gain of 0.005 per move, 2 s set-up per migration (measured on the test bed),
     * burst weight 1, balancing may fall back to auto-converge (not post-copy, which loses the guest if the
     * link fails, nor a pause), a 90 min forecast window and spike relief on. The imbalance target, burst
     * weight and forecast window are what the trace replay (BENCHMARKS.md) found best at 50 % and 70 % mean CPU.
     */
    public static BalancerSettings defaults() {
        return new BalancerSettings(0.85, 0.70, 3, 5, Duration.ofMinutes(30), 2, 2, 8, Duration.ofSeconds(60), 300,
                Duration.ofSeconds(30), AutomationLevel.FULL, true, 3, 0.05, 0.90, 0.03, 0.005, 2.0, 1.0,
                new MigrationChoice.Fallbacks(true, false, false), Duration.ofMinutes(90), true);
    }

    public BalancerSettings withWatermarks(double high, double low) {
        return with(b -> {
            b.highWatermark = high;
            b.lowWatermark = low;
        });
    }

    public BalancerSettings withOverload(int k, int n) {
        return with(b -> {
            b.overloadK = k;
            b.overloadN = n;
        });
    }

    public BalancerSettings withGuestCooldown(Duration value) {
        return with(b -> b.guestCooldown = value);
    }

    public BalancerSettings withLimits(int perSource, int perTarget, int inCluster) {
        return with(b -> {
            b.maxPerSource = perSource;
            b.maxPerTarget = perTarget;
            b.maxInCluster = inCluster;
        });
    }

    public BalancerSettings withMinDeadline(Duration value) {
        return with(b -> b.minDeadline = value);
    }

    public BalancerSettings withMaxDowntimeMs(long value) {
        return with(b -> b.maxDowntimeMs = value);
    }

    public BalancerSettings withHostStaleAfter(Duration value) {
        return with(b -> b.hostStaleAfter = value);
    }

    public BalancerSettings withAutomation(AutomationLevel value) {
        return with(b -> b.automation = value);
    }

    public BalancerSettings withAllowPauseForMaintenance(boolean value) {
        return with(b -> b.allowPauseForMaintenance = value);
    }

    public BalancerSettings withMaxAttemptsPerGuest(int value) {
        return with(b -> b.maxAttemptsPerGuest = value);
    }

    public BalancerSettings withMinGainCores(double value) {
        return with(b -> b.minGainCores = value);
    }

    public BalancerSettings withMemoryWatermark(double value) {
        return with(b -> b.memoryWatermark = value);
    }

    public BalancerSettings withImbalance(double target, double minGain) {
        return with(b -> {
            b.targetImbalance = target;
            b.minImbalanceGain = minGain;
        });
    }

    public BalancerSettings withSetupSeconds(double value) {
        return with(b -> b.setupSeconds = value);
    }

    public BalancerSettings withBurstWeight(double value) {
        return with(b -> b.burstWeight = value);
    }

    public BalancerSettings withBalancingFallbacks(MigrationChoice.Fallbacks value) {
        return with(b -> b.balancingFallbacks = value);
    }

    public BalancerSettings withForecastWindow(Duration value) {
        return with(b -> b.forecastWindow = value);
    }

    public BalancerSettings withSpikeRelief(boolean value) {
        return with(b -> b.spikeRelief = value);
    }

    /** A copy with the changes {@code edit} makes; the copy is checked like any other. */
    private BalancerSettings with(Consumer<Fields> edit) {
        Fields b = new Fields(this);
        edit.accept(b);
        return b.build();
    }

    /** The components as mutable fields, so each wither names only what it changes. */
    private static final class Fields {
        double highWatermark;
        double lowWatermark;
        int overloadK;
        int overloadN;
        Duration guestCooldown;
        int maxPerSource;
        int maxPerTarget;
        int maxInCluster;
        Duration minDeadline;
        long maxDowntimeMs;
        Duration hostStaleAfter;
        AutomationLevel automation;
        boolean allowPauseForMaintenance;
        int maxAttemptsPerGuest;
        double minGainCores;
        double memoryWatermark;
        double targetImbalance;
        double minImbalanceGain;
        double setupSeconds;
        double burstWeight;
        MigrationChoice.Fallbacks balancingFallbacks;
        Duration forecastWindow;
        boolean spikeRelief;

        Fields(BalancerSettings s) {
            highWatermark = s.highWatermark;
            lowWatermark = s.lowWatermark;
            overloadK = s.overloadK;
            overloadN = s.overloadN;
            guestCooldown = s.guestCooldown;
            maxPerSource = s.maxPerSource;
            maxPerTarget = s.maxPerTarget;
            maxInCluster = s.maxInCluster;
            minDeadline = s.minDeadline;
            maxDowntimeMs = s.maxDowntimeMs;
            hostStaleAfter = s.hostStaleAfter;
            automation = s.automation;
            allowPauseForMaintenance = s.allowPauseForMaintenance;
            maxAttemptsPerGuest = s.maxAttemptsPerGuest;
            minGainCores = s.minGainCores;
            memoryWatermark = s.memoryWatermark;
            targetImbalance = s.targetImbalance;
            minImbalanceGain = s.minImbalanceGain;
            setupSeconds = s.setupSeconds;
            burstWeight = s.burstWeight;
            balancingFallbacks = s.balancingFallbacks;
            forecastWindow = s.forecastWindow;
            spikeRelief = s.spikeRelief;
        }

        BalancerSettings build() {
            return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource, maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks, forecastWindow, spikeRelief);
        }
    }
}
