package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.plan.MigrationChoice;
import org.virtbalancer.protocol.AutomationLevel;

import java.time.Duration;

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
                               MigrationChoice.Fallbacks balancingFallbacks) {
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
        if (guestCooldown == null || minDeadline == null || hostStaleAfter == null || automation == null) {
            throw new IllegalArgumentException("guestCooldown, minDeadline, hostStaleAfter and automation are required");
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
     * target 0.05 with a least gain of 0.005 per move, 2 s set-up per migration (measured on the test bed),
     * burst weight 2 (the trace replay: fewer overload minutes at 50% mean CPU, 3 instead of 7), and balancing may
     * fall back to auto-converge (not post-copy, which loses the guest if the link fails, nor a pause).
     */
    public static BalancerSettings defaults() {
        return new BalancerSettings(0.85, 0.70, 3, 5, Duration.ofMinutes(30), 2, 2, 8, Duration.ofSeconds(60), 300,
                Duration.ofSeconds(30), AutomationLevel.FULL, true, 3, 0.05, 0.90, 0.05, 0.005, 2.0, 2.0,
                new MigrationChoice.Fallbacks(true, false, false));
    }

    public BalancerSettings withWatermarks(double high, double low) {
        return new BalancerSettings(high, low, overloadK, overloadN, guestCooldown, maxPerSource, maxPerTarget,
                maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withOverload(int k, int n) {
        return new BalancerSettings(highWatermark, lowWatermark, k, n, guestCooldown, maxPerSource, maxPerTarget,
                maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withGuestCooldown(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, value, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withLimits(int perSource, int perTarget, int inCluster) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, perSource,
                perTarget, inCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withMinDeadline(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, value, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withMaxDowntimeMs(long value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, value, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withHostStaleAfter(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, value, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withAutomation(AutomationLevel value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, value,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withAllowPauseForMaintenance(boolean value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, value,
                maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withMaxAttemptsPerGuest(int value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, value, minGainCores, memoryWatermark, targetImbalance, minImbalanceGain,
                setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withMinGainCores(double value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, value, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withMemoryWatermark(double value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, value, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withImbalance(double target, double minGain) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, target, minGain,
                setupSeconds, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withSetupSeconds(double value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, value, burstWeight, balancingFallbacks);
    }

    public BalancerSettings withBurstWeight(double value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, value, balancingFallbacks);
    }

    public BalancerSettings withBalancingFallbacks(MigrationChoice.Fallbacks value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, minGainCores, memoryWatermark, targetImbalance,
                minImbalanceGain, setupSeconds, burstWeight, value);
    }
}
