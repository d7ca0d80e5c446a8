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
 * Hosts that still have a free target slot, ordered by projected CPU and by projected memory, so a
 * balancing round finds the least loaded eligible target without evaluating every host for every
 * candidate. The answer is the one a full scan gives: first in (load after the move, name) order
 * among hosts that pass every rule; only the search is pruned (a threshold over both orders).
 */
final class TargetIndex {
    /** Rounding slack: a bound may not exclude a host whose load after differs only in the last bit. */
    private static final double SLACK = 1e-9;

    private record Entry(double key, String host) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingDouble(Entry::key).thenComparing(Entry::host);

    private final PlanningView view;
    private final Slots slots;
    private final TreeSet<Entry> byCpu = new TreeSet<>(ORDER);
    private final TreeSet<Entry> byMemory = new TreeSet<>(ORDER);
    private final Map<String, Utilisation> indexed = new HashMap<>();
    private int maxCpus = 1;
    private long maxMemoryMiB = 1;

    TargetIndex(PlanningView view, Slots slots) {
        this.view = view;
        this.slots = slots;
        for (Host h : view.hosts()) {
            maxCpus = Math.max(maxCpus, h.facts().cpus());
            maxMemoryMiB = Math.max(maxMemoryMiB, h.facts().memoryMiB());
            update(h.name());
        }
    }

    /** Re-reads the host's projected load and free slots after a planned move. */
    void update(String host) {
        Utilisation old = indexed.remove(host);
        if (old != null) {
            byCpu.remove(new Entry(old.cpu(), host));
            byMemory.remove(new Entry(old.memory(), host));
        }
        if (!view.projection().knows(host) || slots.targetFull(host)) {
            return;
        }
        Utilisation u = view.projected(host);
        indexed.put(host, u);
        byCpu.add(new Entry(u.cpu(), host));
        byMemory.add(new Entry(u.memory(), host));
    }

    /**
     * The first host in (binding load after the move, name) order that is not the source, has a free
     * target slot, stays under {@code capacityCeiling} and passes {@code eligible}.
     */
    Optional<Target> first(Guest g, String source, double capacityCeiling, Predicate<String> eligible) {
        double cpuStep = g.cpuCores() / maxCpus;
        double memoryStep = (double) g.activeMemoryMiB() / maxMemoryMiB;
        Iterator<Entry> cpu = byCpu.iterator();
        Iterator<Entry> memory = byMemory.iterator();
        Set<String> seen = new HashSet<>();
        PriorityQueue<Target> found = new PriorityQueue<>(
                Comparator.comparingDouble((Target t) -> t.after().binding()).thenComparing(Target::host));
        double cpuFloor = 0;
        double memoryFloor = 0;
        boolean turn = false;
        while (cpu.hasNext() || memory.hasNext()) {
            turn = !turn;
            Iterator<Entry> it = turn && cpu.hasNext() || !memory.hasNext() ? cpu : memory;
            Entry e = it.next();
            if (it == cpu) {
                cpuFloor = e.key();
            } else {
                memoryFloor = e.key();
            }
            if (!e.host().equals(source) && seen.add(e.host())) {
                Utilisation before = indexed.get(e.host());
                Utilisation after = before.plus(g.cpuCores(), g.activeMemoryMiB());
                if (after.binding() <= capacityCeiling) {
                    found.add(new Target(e.host(), before, after));
                }
            }
            // No host not yet seen can end below this: its cpu and memory are at least the floors.
            double bound = Math.max(cpuFloor + cpuStep, memoryFloor + memoryStep) - SLACK;
            while (!found.isEmpty() && found.peek().after().binding() < bound) {
                Target t = found.poll();
                if (eligible.test(t.host())) {
                    return Optional.of(t);
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
