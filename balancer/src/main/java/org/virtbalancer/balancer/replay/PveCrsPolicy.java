package org.virtbalancer.balancer.replay;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code pve-crs}: the Proxmox VE HA Manager's CRS load balancer (pve-ha-manager 5.2, "CRS Load
 * Balancer" in ha-manager.adoc, and the pve-devel series "dynamic scheduler + load rebalancer").
 * Each round it computes the cluster node imbalance, the coefficient of variation (std-dev over
 * mean) of node load; when it exceeds the threshold (30 %) for the hold duration it picks the one
 * service migration that lowers the imbalance most (the brute-force selection) and issues it only
 * if it improves the imbalance by at least the margin (10 % of its value). One migration per round.
 * Node load is CPU use now (the dynamic-load mode, since the static-load mode only sees configured
 * vCPUs and memory and so never notices a trace); a target must have the guest's memory free, as
 * the scheduler's memory accounting requires. Rounds are 5 minutes here instead of the HA
 * manager's 10 s, so the hold duration of a few rounds is shorter than one of ours and is taken as
 * one round. Guests migrating now are counted on their target and not moved.
 */
public final class PveCrsPolicy implements Policy {
    public static final double THRESHOLD = 0.30;
    public static final double MARGIN = 0.10;

    @Override
    public String name() {
        return "pve-crs";
    }

    @Override
    public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
        if (minute % BASELINE_ROUND_MINUTES != 0) {
            return List.of();
        }
        RoundView view = new RoundView(cluster, minute);
        List<String> hosts = view.hosts();
        int n = hosts.size();
        double[] load = new double[n];
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            load[i] = view.cpu(hosts.get(i));
            sum += load[i];
            sumSq += load[i] * load[i];
        }
        double before = cv(sum, sumSq, n);
        if (before <= THRESHOLD) {
            return List.of();
        }
        double best = before;
        ReplayCluster.Guest bestGuest = null;
        String bestTarget = null;
        for (ReplayCluster.Guest g : view.movable()) {
            int s = hosts.indexOf(view.hostOf(g));
            double ds = g.cpuDemand(minute) / view.cluster.host(hosts.get(s)).cpus();
            for (int t = 0; t < n; t++) {
                if (t == s) {
                    continue;
                }
                ReplayCluster.HostSpec target = view.cluster.host(hosts.get(t));
                if (view.memory.get(target.name()) + g.memoryMiB() > target.memoryMiB()) {
                    continue;
                }
                double dt = g.cpuDemand(minute) / target.cpus();
                double ns = load[s] - ds;
                double nt = load[t] + dt;
                double sq = sumSq - load[s] * load[s] - load[t] * load[t] + ns * ns + nt * nt;
                double after = cv(sum - ds + dt, sq, n);
                if (after < best) {
                    best = after;
                    bestGuest = g;
                    bestTarget = target.name();
                }
            }
        }
        List<MigrationRequest> out = new ArrayList<>();
        if (bestGuest != null && before - best >= MARGIN * before) {
            out.add(new MigrationRequest(bestGuest.name(), bestTarget, String.format(java.util.Locale.ROOT,
                    "pve-crs: imbalance %.3f -> %.3f", before, best)));
        }
        return out;
    }

    static double cv(double sum, double sumSq, int n) {
        double mean = sum / n;
        if (mean <= 0) {
            return 0;
        }
        double var = Math.max(0, sumSq / n - mean * mean);
        return Math.sqrt(var) / mean;
    }
}
