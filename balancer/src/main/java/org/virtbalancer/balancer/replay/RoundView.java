package org.virtbalancer.balancer.replay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a baseline sees in one round: each host's CPU demand and memory now, with migrations in
 * flight counted as done (as each tool does, so it does not act twice on one hot spot), and the
 * moves it plans in this round applied as it goes.
 */
final class RoundView {
    final ReplayCluster cluster;
    final int minute;
    final Map<String, Double> cores = new LinkedHashMap<>();
    final Map<String, Long> memory = new LinkedHashMap<>();
    final Map<String, String> hostOf = new LinkedHashMap<>();
    final Set<String> busy = new HashSet<>();

    RoundView(ReplayCluster cluster, int minute) {
        this.cluster = cluster;
        this.minute = minute;
        cluster.hosts().forEach(h -> {
            cores.put(h.name(), 0.0);
            memory.put(h.name(), 0L);
        });
        Map<String, String> landing = new LinkedHashMap<>();
        cluster.inFlight().stream().filter(ReplayCluster.InFlight::converges)
                .forEach(f -> landing.put(f.guest(), f.target()));
        for (ReplayCluster.Guest g : cluster.guests()) {
            String h = landing.getOrDefault(g.name(), g.host());
            hostOf.put(g.name(), h);
            cores.merge(h, g.cpuDemand(minute), Double::sum);
            memory.merge(h, g.memoryMiB(), Long::sum);
            if (cluster.isMigrating(g.name())) {
                busy.add(g.name());
            }
        }
    }

    double cpu(String host) {
        return cores.get(host) / cluster.host(host).cpus();
    }

    double mem(String host) {
        return (double) memory.get(host) / cluster.host(host).memoryMiB();
    }

    List<String> hosts() {
        return new ArrayList<>(cores.keySet());
    }

    /** Guests on the host that may move this round (not migrating, not yet moved this round). */
    List<ReplayCluster.Guest> movable(String host) {
        List<ReplayCluster.Guest> out = new ArrayList<>();
        for (ReplayCluster.Guest g : cluster.guests()) {
            if (hostOf.get(g.name()).equals(host) && !busy.contains(g.name())) {
                out.add(g);
            }
        }
        return out;
    }

    List<ReplayCluster.Guest> movable() {
        return cluster.guests().stream().filter(g -> !busy.contains(g.name())).toList();
    }

    String hostOf(ReplayCluster.Guest g) {
        return hostOf.get(g.name());
    }

    void move(ReplayCluster.Guest g, String target) {
        String source = hostOf.get(g.name());
        double c = g.cpuDemand(minute);
        cores.merge(source, -c, Double::sum);
        cores.merge(target, c, Double::sum);
        memory.merge(source, -g.memoryMiB(), Long::sum);
        memory.merge(target, g.memoryMiB(), Long::sum);
        hostOf.put(g.name(), target);
        busy.add(g.name());
    }
}
