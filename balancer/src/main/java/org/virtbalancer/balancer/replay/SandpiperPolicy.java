package org.virtbalancer.balancer.replay;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sandpiper}: the black-box migration algorithm of Sandpiper (Wood, Shenoy, Venkataramani,
 * Yousif, "Black-box and Gray-box Strategies for Virtual Machine Migration", NSDI 2007). A host is
 * a hotspot when its utilisation exceeded the threshold (75 % CPU, the paper's setting) in at
 * least k = 3 of the last n = 5 observations; the paper also asks that a forecast of the next
 * value exceeds it, which is left out here because the trace changes only every 5 minutes, so the
 * one-minute window holds at most two distinct values and the k-of-n test already decides. Hosts
 * and guests are ranked by volume = 1/((1-cpu)(1-mem)(1-net)) (net is 0 in this trace; fractions
 * of the host's capacity, capped at 0.99). Hotspots are handled in decreasing volume; from each,
 * guests are tried in decreasing volume-to-size ratio (size = memory footprint) and each goes to
 * the least loaded host (lowest volume) that can house it — CPU stays under the threshold and the
 * memory fits — until the host is no longer hot. The paper's swap step (exchanging two guests when
 * no host can take one) is not modelled. Observations are taken every minute; moves are decided
 * every 5 minutes.
 */
public final class SandpiperPolicy implements Policy {
    /** CPU threshold of a hotspot, as in the paper's experiments. */
    public static final double THRESHOLD = 0.75;
    public static final int K = 3;
    public static final int N = 5;
    private static final double CAP = 0.99;

    private final Map<String, Deque<Double>> history = new HashMap<>();

    @Override
    public String name() {
        return "sandpiper";
    }

    @Override
    public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
        RoundView view = new RoundView(cluster, minute);
        for (String h : view.hosts()) {
            Deque<Double> w = history.computeIfAbsent(h, x -> new ArrayDeque<>());
            w.addLast(view.cpu(h));
            while (w.size() > N) {
                w.removeFirst();
            }
        }
        if (minute % BASELINE_ROUND_MINUTES != 0) {
            return List.of();
        }
        List<String> hot = new ArrayList<>();
        for (String h : view.hosts()) {
            long over = history.get(h).stream().filter(v -> v > THRESHOLD).count();
            if (over >= K && view.cpu(h) > THRESHOLD) {
                hot.add(h);
            }
        }
        hot.sort(Comparator.comparingDouble((String h) -> -hostVolume(view, h)).thenComparing(Comparator.naturalOrder()));
        List<MigrationRequest> out = new ArrayList<>();
        for (String source : hot) {
            List<ReplayCluster.Guest> candidates = new ArrayList<>(view.movable(source));
            candidates.sort(Comparator.comparingDouble((ReplayCluster.Guest g) -> -vsr(view, g, source))
                    .thenComparing(ReplayCluster.Guest::name));
            for (ReplayCluster.Guest g : candidates) {
                if (view.cpu(source) <= THRESHOLD) {
                    break;
                }
                String target = null;
                List<String> byVolume = new ArrayList<>(view.hosts());
                byVolume.sort(Comparator.comparingDouble((String h) -> hostVolume(view, h))
                        .thenComparing(Comparator.naturalOrder()));
                for (String h : byVolume) {
                    if (!h.equals(source) && houses(view, h, g)) {
                        target = h;
                        break;
                    }
                }
                if (target != null) {
                    out.add(new MigrationRequest(g.name(), target, "sandpiper: hotspot " + source));
                    view.move(g, target);
                }
            }
        }
        return out;
    }

    private static boolean houses(RoundView view, String host, ReplayCluster.Guest g) {
        ReplayCluster.HostSpec spec = view.cluster.host(host);
        return (view.cores.get(host) + g.cpuDemand(view.minute)) / spec.cpus() <= THRESHOLD
                && view.memory.get(host) + g.memoryMiB() <= spec.memoryMiB();
    }

    static double volume(double cpu, double mem, double net) {
        return 1 / ((1 - Math.min(cpu, CAP)) * (1 - Math.min(mem, CAP)) * (1 - Math.min(net, CAP)));
    }

    private static double hostVolume(RoundView view, String h) {
        return volume(view.cpu(h), view.mem(h), 0);
    }

    private static double vsr(RoundView view, ReplayCluster.Guest g, String host) {
        ReplayCluster.HostSpec spec = view.cluster.host(host);
        double v = volume(g.cpuDemand(view.minute) / spec.cpus(), (double) g.memoryMiB() / spec.memoryMiB(), 0);
        return v / g.memoryMiB();
    }
}
