package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Utilisation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Hosts that still have a free target slot, so a balancing round finds the least loaded eligible
 * target without evaluating every host for every candidate. The answer is the one a full scan
 * gives: first in (load after the move, name) order among hosts that pass every rule; only the
 * search is pruned.
 *
 * <p>The hosts are kept in a search tree (a treap) ordered by memory minus CPU load, and every
 * subtree knows its lowest CPU and lowest memory load. A host's load after taking a guest is at
 * least max(cpu + cores / most CPUs, memory + MiB / most memory), so those two minima bound every
 * host of the subtree from below. The search opens subtrees in order of that bound and stops once
 * the best host found is below the bound of everything unopened. Ordering by memory minus CPU
 * keeps hosts whose binding resource for the guest is the same together, so a subtree's bound is
 * its best host's load except along one path of the tree, and a search looks at a few hosts per
 * level of the tree (about 23 at 10,000 hosts) instead of walking past every host that is low on
 * one resource only. A planned move re-inserts the two hosts it changes.
 */
final class TargetIndex {
    /** Rounding slack: a bound may not exclude a host whose load after differs only in the last bit. */
    private static final double SLACK = 1e-9;
    private static final int NONE = -1;

    private final PlanningView view;
    private final Slots slots;
    /** Host i of the tree, in name order. */
    private final String[] names;
    private final Map<String, Integer> idOf = new HashMap<>();
    /** Each host's projected load when it was last indexed; null while it is not in the tree. */
    private final Utilisation[] loads;
    /** Tree order: memory minus cpu load when the host was indexed, then id. */
    private final double[] skew;
    private final int[] priority;
    private final int[] left;
    private final int[] right;
    /** Lowest normalised cpu and memory load in the subtree under each host. */
    private final double[] minCpu;
    private final double[] minMemory;
    private int root = NONE;
    private int maxCpus = 1;
    private long maxMemoryMiB = 1;
    /** Split results. */
    private int lower;
    private int upper;
    /** Open subtrees of one search by bound: a binary heap of subtree roots, reused across searches. */
    private double[] heapKeys = new double[64];
    private int[] heapNodes = new int[64];
    private int heapSize;
    /** Hosts of one search seen so far, by (load after the move, name): a binary heap. */
    private double[] foundKeys = new double[64];
    private int[] foundHosts = new int[64];
    private int foundSize;

    TargetIndex(PlanningView view, Slots slots) {
        this.view = view;
        this.slots = slots;
        List<Host> hosts = view.hosts();
        int n = hosts.size();
        names = new String[n];
        loads = new Utilisation[n];
        skew = new double[n];
        priority = new int[n];
        left = new int[n];
        right = new int[n];
        minCpu = new double[n];
        minMemory = new double[n];
        for (int i = 0; i < n; i++) {
            Host h = hosts.get(i);
            names[i] = h.name();
            idOf.put(h.name(), i);
            priority[i] = mix(i);
            maxCpus = Math.max(maxCpus, h.facts().cpus());
            maxMemoryMiB = Math.max(maxMemoryMiB, h.facts().memoryMiB());
        }
        for (int i = 0; i < n; i++) {
            index(i);
        }
    }

    /** Re-reads the host's projected load and free slots after a planned move. */
    void update(String host) {
        Integer id = idOf.get(host);
        if (id == null) {
            return;
        }
        if (loads[id] != null) {
            root = erase(root, id);
            loads[id] = null;
        }
        index(id);
    }

    private void index(int i) {
        if (!view.projection().knows(names[i]) || slots.targetFull(names[i])) {
            return;
        }
        Utilisation u = view.projected(names[i]);
        loads[i] = u;
        skew[i] = u.memory() - u.cpu();
        left[i] = NONE;
        right[i] = NONE;
        pull(i);
        root = insert(root, i);
    }

    /**
     * The first host in (binding load after the move, name) order that is not the source, has a free
     * target slot, stays under {@code capacityCeiling} and passes {@code eligible}.
     */
    Optional<Target> first(Guest g, String source, double capacityCeiling, Predicate<String> eligible) {
        double cores = g.cpuCores();
        double mib = g.activeMemoryMiB();
        double cpuStep = cores / maxCpus;
        double memoryStep = mib / maxMemoryMiB;
        int sourceId = idOf.getOrDefault(source, NONE);
        heapSize = 0;
        foundSize = 0;
        open(root, cpuStep, memoryStep, capacityCeiling);
        while (heapSize > 0) {
            // No host in an unopened subtree can end below this.
            double bound = heapKeys[0] - SLACK;
            while (foundSize > 0 && foundKeys[0] < bound) {
                int h = popFound();
                if (eligible.test(names[h])) {
                    return Optional.of(new Target(names[h], loads[h], loads[h].plus(cores, mib)));
                }
            }
            int t = pop();
            if (t != sourceId) {
                double after = loads[t].plus(cores, mib).binding();
                if (after <= capacityCeiling) {
                    pushFound(after, t);
                }
            }
            open(left[t], cpuStep, memoryStep, capacityCeiling);
            open(right[t], cpuStep, memoryStep, capacityCeiling);
        }
        while (foundSize > 0) {
            int h = popFound();
            if (eligible.test(names[h])) {
                return Optional.of(new Target(names[h], loads[h], loads[h].plus(cores, mib)));
            }
        }
        return Optional.empty();
    }

    /** Queues the subtree unless it is empty or every host in it would end above the ceiling. */
    private void open(int t, double cpuStep, double memoryStep, double capacityCeiling) {
        if (t == NONE) {
            return;
        }
        double bound = Math.max(minCpu[t] + cpuStep, minMemory[t] + memoryStep);
        if (bound - SLACK > capacityCeiling) {
            return;
        }
        if (heapSize == heapKeys.length) {
            heapKeys = Arrays.copyOf(heapKeys, 2 * heapSize);
            heapNodes = Arrays.copyOf(heapNodes, 2 * heapSize);
        }
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (heapKeys[parent] <= bound) {
                break;
            }
            heapKeys[i] = heapKeys[parent];
            heapNodes[i] = heapNodes[parent];
            i = parent;
        }
        heapKeys[i] = bound;
        heapNodes[i] = t;
    }

    private int pop() {
        int top = heapNodes[0];
        heapSize--;
        if (heapSize > 0) {
            double key = heapKeys[heapSize];
            int node = heapNodes[heapSize];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= heapSize) {
                    break;
                }
                if (child + 1 < heapSize && heapKeys[child + 1] < heapKeys[child]) {
                    child++;
                }
                if (heapKeys[child] >= key) {
                    break;
                }
                heapKeys[i] = heapKeys[child];
                heapNodes[i] = heapNodes[child];
                i = child;
            }
            heapKeys[i] = key;
            heapNodes[i] = node;
        }
        return top;
    }

    private void pushFound(double after, int host) {
        if (foundSize == foundKeys.length) {
            foundKeys = Arrays.copyOf(foundKeys, 2 * foundSize);
            foundHosts = Arrays.copyOf(foundHosts, 2 * foundSize);
        }
        int i = foundSize++;
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!foundBefore(after, host, foundKeys[parent], foundHosts[parent])) {
                break;
            }
            foundKeys[i] = foundKeys[parent];
            foundHosts[i] = foundHosts[parent];
            i = parent;
        }
        foundKeys[i] = after;
        foundHosts[i] = host;
    }

    private int popFound() {
        int top = foundHosts[0];
        foundSize--;
        if (foundSize > 0) {
            double key = foundKeys[foundSize];
            int host = foundHosts[foundSize];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= foundSize) {
                    break;
                }
                if (child + 1 < foundSize
                        && foundBefore(foundKeys[child + 1], foundHosts[child + 1], foundKeys[child], foundHosts[child])) {
                    child++;
                }
                if (!foundBefore(foundKeys[child], foundHosts[child], key, host)) {
                    break;
                }
                foundKeys[i] = foundKeys[child];
                foundHosts[i] = foundHosts[child];
                i = child;
            }
            foundKeys[i] = key;
            foundHosts[i] = host;
        }
        return top;
    }

    private boolean foundBefore(double after, int host, double otherAfter, int other) {
        int c = Double.compare(after, otherAfter);
        return c < 0 || c == 0 && names[host].compareTo(names[other]) < 0;
    }

    // The treap: a binary search tree by (skew, id) that is a max-heap by priority, so its depth stays
    // logarithmic whatever order hosts are inserted in.

    private boolean before(int a, int b) {
        return skew[a] < skew[b] || skew[a] == skew[b] && a < b;
    }

    private void pull(int t) {
        double cpu = loads[t].cpu();
        double memory = loads[t].memory();
        int l = left[t];
        int r = right[t];
        if (l != NONE) {
            cpu = Math.min(cpu, minCpu[l]);
            memory = Math.min(memory, minMemory[l]);
        }
        if (r != NONE) {
            cpu = Math.min(cpu, minCpu[r]);
            memory = Math.min(memory, minMemory[r]);
        }
        minCpu[t] = cpu;
        minMemory[t] = memory;
    }

    private int insert(int t, int i) {
        if (t == NONE) {
            return i;
        }
        if (priority[i] > priority[t]) {
            split(t, i);
            left[i] = lower;
            right[i] = upper;
            pull(i);
            return i;
        }
        if (before(i, t)) {
            left[t] = insert(left[t], i);
        } else {
            right[t] = insert(right[t], i);
        }
        pull(t);
        return t;
    }

    /** Splits the subtree into hosts before {@code pivot} ({@link #lower}) and after it ({@link #upper}). */
    private void split(int t, int pivot) {
        if (t == NONE) {
            lower = NONE;
            upper = NONE;
        } else if (before(t, pivot)) {
            split(right[t], pivot);
            right[t] = lower;
            pull(t);
            lower = t;
        } else {
            split(left[t], pivot);
            left[t] = upper;
            pull(t);
            upper = t;
        }
    }

    private int erase(int t, int i) {
        if (t == i) {
            return merge(left[t], right[t]);
        }
        if (before(i, t)) {
            left[t] = erase(left[t], i);
        } else {
            right[t] = erase(right[t], i);
        }
        pull(t);
        return t;
    }

    private int merge(int a, int b) {
        if (a == NONE) {
            return b;
        }
        if (b == NONE) {
            return a;
        }
        if (priority[a] > priority[b]) {
            right[a] = merge(right[a], b);
            pull(a);
            return a;
        }
        left[b] = merge(a, left[b]);
        pull(b);
        return b;
    }

    /** A fixed pseudo-random priority per host (the SplitMix64 finaliser), so every run builds the same tree. */
    private static int mix(int i) {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) (z ^ (z >>> 31));
    }
}
