package org.virtbalancer.balancer.replay;

import org.virtbalancer.protocol.PreCopyModel;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Runs one policy over one trace day in virtual time, one step per minute: finished migrations
 * land, the minute is measured, then the policy starts new migrations. Migrations take the time
 * {@link PreCopyModel} predicts for a plain live migration over the slower of the two hosts'
 * links (each migration gets the whole link; a move lands at the first minute after it ends).
 * Everything random comes from the seed, so a seed always gives the same result.
 */
public final class Replay {
    /** Policies by the names the CLI takes. */
    public static final List<String> POLICIES = List.of("vb", "none", "proxlb", "sandpiper", "pve-crs");

    private final ReplayCluster cluster;
    private final Policy policy;
    private final ReplayMetrics metrics = new ReplayMetrics();

    public Replay(ReplayCluster cluster, Policy policy) {
        this.cluster = cluster;
        this.policy = policy;
    }

    /**
     * How big the cluster is: a fixed host count, or the host count that puts the day's mean
     * demand at a share of the cluster's CPUs.
     */
    public record Sizing(int hosts, double meanCpu) {
        public static Sizing hosts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("--hosts must be at least 1, got " + n + ".");
            }
            return new Sizing(n, 0);
        }

        public static Sizing meanCpu(double f) {
            if (!(f > 0 && f <= 1.5)) {
                throw new IllegalArgumentException("--mean-cpu is the share of the cluster's CPUs the day uses on"
                        + " average, above 0 and at most 1.5 (e.g. 0.7); got " + f + ".");
            }
            return new Sizing(0, f);
        }
    }

    /** Builds the seeded cluster for the trace and runs the named policy over the whole day. */
    public static ReplayReport run(TraceSet traces, Sizing sizing, String policyName, long seed) {
        long started = System.nanoTime();
        Random random = new Random(seed);
        List<ReplayCluster.DrawnGuest> drawn = ReplayCluster.drawGuests(traces, random);
        int hosts = sizing.hosts() > 0 ? sizing.hosts() : ReplayCluster.hostsForMeanCpu(traces, drawn, sizing.meanCpu());
        ReplayCluster cluster = ReplayCluster.build(traces, hosts, random, drawn);
        Policy policy = policy(policyName);
        ReplayMetrics m = new Replay(cluster, policy).run(traces.minutes());
        double meanCpu = ReplayCluster.meanDemand(traces, drawn) / (hosts * (double) ReplayCluster.HOST_CPUS);
        return ReplayReport.of(policy.name(), traces.name(), hosts, drawn.size(), meanCpu, m,
                (System.nanoTime() - started) / 1e9);
    }

    public static Policy policy(String name) {
        return switch (name) {
            case "vb" -> new VirtBalancerPolicy();
            case "none" -> new NoBalancing();
            case "proxlb" -> new ProxLbPolicy();
            case "sandpiper" -> new SandpiperPolicy();
            case "pve-crs" -> new PveCrsPolicy();
            default -> throw new IllegalArgumentException("unknown policy '" + name + "'; choose one of "
                    + String.join(", ", POLICIES) + ".");
        };
    }

    /** Replays {@code minutes} virtual minutes from minute 0. */
    public ReplayMetrics run(int minutes) {
        for (int minute = 0; minute < minutes; minute++) {
            final int now = minute;
            cluster.inFlight().stream()
                    .filter(f -> f.finishMinute() <= now)
                    .sorted(Comparator.comparingInt(ReplayCluster.InFlight::finishMinute)
                            .thenComparing(ReplayCluster.InFlight::guest))
                    .forEach(f -> {
                        cluster.finish(f);
                        metrics.finished(f, cluster, now);
                        policy.onFinished(f, cluster, now);
                    });
            metrics.observe(cluster, minute);
            for (Policy.MigrationRequest r : policy.decide(cluster, minute)) {
                start(r, minute);
            }
        }
        return metrics;
    }

    private void start(Policy.MigrationRequest r, int minute) {
        ReplayCluster.Guest g = cluster.guest(r.guest());
        if (!cluster.hasHost(r.target()) || r.target().equals(g.host()) || cluster.isMigrating(g.name())) {
            // A policy that asks for this has a bug; the replay must not paper over it.
            throw new IllegalStateException(policy.name() + " asked to move " + g.name() + " from " + g.host() + " to "
                    + r.target() + (cluster.isMigrating(g.name()) ? " while it is already migrating" : "")
                    + ", which is not a migration the cluster can start.");
        }
        ReplayCluster.HostSpec source = cluster.host(g.host());
        ReplayCluster.HostSpec target = cluster.host(r.target());
        if (!source.arch().equals(target.arch())) {
            metrics.violation("architecture");
            return;
        }
        PreCopyModel.Prediction p = PreCopyModel.live(g.memoryMiB(), g.dirtyRateMiBps(),
                Math.min(source.linkMiBps(), target.linkMiBps()), PreCopyModel.DEFAULT_MAX_DOWNTIME_MS, false, false);
        int minutes = Math.max(1, (int) Math.ceil(p.durationMs() / 60_000.0));
        ReplayCluster.InFlight f = new ReplayCluster.InFlight(g.name(), g.host(), r.target(), minute, minute + minutes,
                p.transferredMiB(), p.converges(), r.reason());
        cluster.start(f);
        metrics.started(f);
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
