package org.virtbalancer.balancer.replay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code proxlb}: ProxLB's balancing (credativ/gyptazy ProxLB README, "How does it work", and its
 * {@code get_balanciness} / {@code relocate_guests} / {@code get_most_free_node} calculations).
 * ProxLB compares the highest and lowest node usage of the chosen method; when their difference
 * exceeds the "balanciness" (default 10 percentage points) it walks the guests, largest first
 * ({@code balance_larger_guests_first}), and assigns each to the node with the most free resources,
 * updating node usage after every assignment and stopping once the spread is within the
 * balanciness again. Here the method is {@code cpu} in mode {@code used} (current usage), since CPU
 * is what the replay measures; "largest" is a guest's CPU in use; a guest already on the most free
 * node stays. Guests migrating now are skipped and counted on their target. The documented
 * algorithm has no memory-fit check in this mode, so none is added. It runs every 5 minutes.
 */
public final class ProxLbPolicy implements Policy {
    /** ProxLB's default balanciness, in percentage points of node CPU usage. */
    public static final double BALANCINESS = 0.10;

    @Override
    public String name() {
        return "proxlb";
    }

    @Override
    public List<MigrationRequest> decide(ReplayCluster cluster, int minute) {
        if (minute % BASELINE_ROUND_MINUTES != 0) {
            return List.of();
        }
        RoundView view = new RoundView(cluster, minute);
        List<MigrationRequest> out = new ArrayList<>();
        if (spread(view) <= BALANCINESS) {
            return out;
        }
        List<ReplayCluster.Guest> guests = new ArrayList<>(view.movable());
        guests.sort(Comparator.comparingDouble((ReplayCluster.Guest g) -> -g.cpuDemand(minute))
                .thenComparing(ReplayCluster.Guest::name));
        for (ReplayCluster.Guest g : guests) {
            if (spread(view) <= BALANCINESS) {
                break;
            }
            String target = view.hosts().stream()
                    .min(Comparator.comparingDouble(view::cpu).thenComparing(Comparator.naturalOrder()))
                    .orElseThrow();
            if (!target.equals(view.hostOf(g))) {
                out.add(new MigrationRequest(g.name(), target, "proxlb: cpu spread above balanciness"));
                view.move(g, target);
            }
        }
        return out;
    }

    private static double spread(RoundView view) {
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        for (String h : view.hosts()) {
            max = Math.max(max, view.cpu(h));
            min = Math.min(min, view.cpu(h));
        }
        return max - min;
    }
}
