package org.virtbalancer.balancer.core;

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
 */
public record BalancerSettings(double highWatermark, double lowWatermark, int overloadK, int overloadN,
                               Duration guestCooldown, int maxPerSource, int maxPerTarget, int maxInCluster,
                               Duration minDeadline, long maxDowntimeMs, Duration hostStaleAfter,
                               AutomationLevel automation, boolean allowPauseForMaintenance, int maxAttemptsPerGuest,
                               double minGainCores) {
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
     * maintenance, 3 attempts per guest, moves must free at least 0.05 cores.
     */
    public static BalancerSettings defaults() {
        return new BalancerSettings(0.85, 0.70, 3, 5, Duration.ofMinutes(30), 2, 2, 8, Duration.ofSeconds(60), 300,
                Duration.ofSeconds(30), AutomationLevel.FULL, true, 3, 0.05);
    }

    public BalancerSettings withWatermarks(double high, double low) {
        return new BalancerSettings(high, low, overloadK, overloadN, guestCooldown, maxPerSource, maxPerTarget,
                maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withOverload(int k, int n) {
        return new BalancerSettings(highWatermark, lowWatermark, k, n, guestCooldown, maxPerSource, maxPerTarget,
                maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withGuestCooldown(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, value, maxPerSource, maxPerTarget,
                maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withLimits(int perSource, int perTarget, int inCluster) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, perSource,
                perTarget, inCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withMinDeadline(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, value, maxDowntimeMs, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withMaxDowntimeMs(long value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, value, hostStaleAfter, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withHostStaleAfter(Duration value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, value, automation, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withAutomation(AutomationLevel value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, value, allowPauseForMaintenance,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withAllowPauseForMaintenance(boolean value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation, value,
                maxAttemptsPerGuest, minGainCores);
    }

    public BalancerSettings withMaxAttemptsPerGuest(int value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, value, minGainCores);
    }

    public BalancerSettings withMinGainCores(double value) {
        return new BalancerSettings(highWatermark, lowWatermark, overloadK, overloadN, guestCooldown, maxPerSource,
                maxPerTarget, maxInCluster, minDeadline, maxDowntimeMs, hostStaleAfter, automation,
                allowPauseForMaintenance, maxAttemptsPerGuest, value);
    }
}
