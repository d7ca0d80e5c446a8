package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Utilisation;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Hosts that still have a free target slot, ordered by projected CPU, so a balancing round finds the
 * eligible target left least loaded on CPU without evaluating every host for every candidate. The
 * answer is the one a full scan gives: first in (CPU after the move, name) order among hosts that
 * stay under both ceilings and pass every rule; only the search is pruned.
 */
final class TargetIndex {
    /** Rounding slack: a bound may not exclude a host whose load after differs only in the last bit. */
    private static final double SLACK = 1e-9;

    private record Entry(double key, String host) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingDouble(Entry::key).thenComparing(Entry::host);

    private final PlanningView view;
    private final Slots slots;
    private final TreeSet<Entry> byCpu = new TreeSet<>(ORDER);
    private final Map<String, Utilisation> indexed = new HashMap<>();
    private int maxCpus = 1;

    TargetIndex(PlanningView view, Slots slots) {
        this.view = view;
        this.slots = slots;
        for (Host h : view.hosts()) {
            maxCpus = Math.max(maxCpus, h.facts().cpus());
            update(h.name());
        }
    }

    /** Re-reads the host's projected load and free slots after a planned move. */
    void update(String host) {
        Utilisation old = indexed.remove(host);
        if (old != null) {
            byCpu.remove(new Entry(old.cpu(), host));
        }
        if (!view.projection().knows(host) || slots.targetFull(host)) {
            return;
        }
        Utilisation u = view.projected(host);
        indexed.put(host, u);
        byCpu.add(new Entry(u.cpu(), host));
    }

    /**
     * The first host in (CPU after the move, name) order that is not the source, has a free target
     * slot, stays under both ceilings and passes {@code eligible}.
     */
    Optional<Target> first(Guest g, String source, double cpuCeiling, double memoryCeiling, Predicate<String> eligible) {
        double cpuStep = g.cpuCores() / maxCpus;
        PriorityQueue<Target> found = new PriorityQueue<>(
                Comparator.comparingDouble((Target t) -> t.after().cpu()).thenComparing(Target::host));
        for (Entry e : byCpu) {
            // No host not yet seen can end below this: its CPU is at least this one's.
            double bound = e.key() + cpuStep - SLACK;
            while (!found.isEmpty() && found.peek().after().cpu() < bound) {
                Target t = found.poll();
                if (eligible.test(t.host())) {
                    return Optional.of(t);
                }
            }
            if (bound - SLACK > cpuCeiling) {
                break;
            }
            if (!e.host().equals(source)) {
                Utilisation before = indexed.get(e.host());
                Utilisation after = before.plus(g);
                if (after.cpu() <= cpuCeiling && after.memory() <= memoryCeiling) {
                    found.add(new Target(e.host(), before, after));
                }
            }
        }
        while (!found.isEmpty()) {
            Target t = found.poll();
            if (eligible.test(t.host())) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
