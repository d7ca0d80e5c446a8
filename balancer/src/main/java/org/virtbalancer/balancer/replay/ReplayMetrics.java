package org.virtbalancer.balancer.replay;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a replay measures, the same for every policy.
 *
 * <ul>
 *   <li>overload host-minutes: each minute, each host whose guests' CPU demand is above
 *       {@link #OVERLOAD} of its CPUs counts one (a migrating guest counts on its source);</li>
 *   <li>of those, the ones in the first minute of a trace step ({@link TraceSet#STEP_MINUTES}): the
 *       load changed that very minute, so no policy that only sees the past could react to the change
 *       in time; only headroom kept beforehand avoids them. The rest a policy could have cut short;</li>
 *   <li>imbalance: each minute, the population standard deviation of the hosts' demand divided by
 *       their CPUs; the peak and the mean over the day;</li>
 *   <li>migrations started, and GiB they copied (every pre-copy round, as the link carries it);</li>
 *   <li>ping-pong: a migration that brings a guest back to a host it left less than
 *       {@link #PINGPONG_MINUTES} virtual minutes earlier (each such return counts once);</li>
 *   <li>violations, each counted once per move:
 *       <ol>
 *         <li>{@code memory}: the move finishes onto a host whose guests then need more memory than it has;</li>
 *         <li>{@code architecture}: the move asks for a host of a different CPU architecture (libvirt
 *             refuses it, so it is counted and not carried out).</li>
 *       </ol></li>
 * </ul>
 */
public final class ReplayMetrics {
    public static final double OVERLOAD = 0.90;
    public static final int PINGPONG_MINUTES = 30;

    private long overloadHostMinutes;
    private long overloadAtStep;
    private double imbalancePeak;
    private double imbalanceSum;
    private int minutes;
    private int migrations;
    private double transferredMiB;
    private int pingpong;
    private final Map<String, Integer> violations = new HashMap<>();
    /** guest -> host -> minute it last left that host. */
    private final Map<String, Map<String, Integer>> left = new HashMap<>();

    /** Takes one minute of the cluster as it stands. */
    public void observe(ReplayCluster cluster, int minute) {
        Map<String, List<ReplayCluster.Guest>> byHost = cluster.guestsByHost();
        double[] load = new double[byHost.size()];
        int i = 0;
        for (Map.Entry<String, List<ReplayCluster.Guest>> e : byHost.entrySet()) {
            double demand = 0;
            for (ReplayCluster.Guest g : e.getValue()) {
                demand += g.cpuDemand(minute);
            }
            int cpus = cluster.host(e.getKey()).cpus();
            if (demand > OVERLOAD * cpus) {
                overloadHostMinutes++;
                if (minute % TraceSet.STEP_MINUTES == 0) {
                    overloadAtStep++;
                }
            }
            load[i++] = demand / cpus;
        }
        double imbalance = stdDev(load);
        imbalancePeak = Math.max(imbalancePeak, imbalance);
        imbalanceSum += imbalance;
        minutes++;
    }

    /** Population standard deviation. */
    public static double stdDev(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= values.length;
        double sq = 0;
        for (double v : values) {
            sq += (v - mean) * (v - mean);
        }
        return Math.sqrt(sq / values.length);
    }

    public void started(ReplayCluster.InFlight m) {
        migrations++;
        transferredMiB += m.transferredMiB();
    }

    public void finished(ReplayCluster.InFlight m, ReplayCluster cluster, int minute) {
        if (!m.converges()) {
            return;
        }
        Map<String, Integer> history = left.computeIfAbsent(m.guest(), g -> new HashMap<>());
        Integer leftAt = history.get(m.target());
        if (leftAt != null && minute - leftAt < PINGPONG_MINUTES) {
            pingpong++;
        }
        history.put(m.source(), minute);
        if (cluster.memoryUsedMiB(m.target()) > cluster.host(m.target()).memoryMiB()) {
            violation("memory");
        }
    }

    public void violation(String kind) {
        violations.merge(kind, 1, Integer::sum);
    }

    public long overloadHostMinutes() {
        return overloadHostMinutes;
    }

    /** Overload host-minutes in the first minute of a trace step, when the load has just changed. */
    public long overloadAtStep() {
        return overloadAtStep;
    }

    public double imbalancePeak() {
        return imbalancePeak;
    }

    public double imbalanceMean() {
        return minutes == 0 ? 0 : imbalanceSum / minutes;
    }

    public int migrations() {
        return migrations;
    }

    public double gibMigrated() {
        return transferredMiB / 1024;
    }

    public int pingpong() {
        return pingpong;
    }

    public int violations() {
        return violations.values().stream().mapToInt(Integer::intValue).sum();
    }

    public Map<String, Integer> violationsByKind() {
        return Map.copyOf(violations);
    }
}
