package org.virtbalancer.balancer.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The cluster as it would be after some moves: each host's load and guests. Planning simulates
 * every move here (in-flight ones first) so no decision counts on capacity another has taken.
 *
 * <p>A host's guests are read from the cluster the first time all of them are asked for, not for
 * every host up front: a planning round lists the guests of a few hosts only. Moves onto and off a
 * host not read yet are kept in order and applied when it is. So a projection is the cluster as it
 * was when it was made only while the cluster does not change; the balancer makes one per decision
 * and drops it before the next event.
 */
public final class Projection {
    private final Cluster cluster;
    private final Map<String, Utilisation> loads;
    /** Guests of the hosts read so far, by name. */
    private final Map<String, TreeMap<String, Guest>> guests;
    /** Moves onto and off hosts not read yet, oldest first. */
    private final Map<String, List<Change>> pending;

    /** A guest arriving on a host, or (arrived null) the guest of that name leaving it. */
    private record Change(String name, Guest arrived) {}

    private Projection(Cluster cluster, Map<String, Utilisation> loads, Map<String, TreeMap<String, Guest>> guests,
                       Map<String, List<Change>> pending) {
        this.cluster = cluster;
        this.loads = loads;
        this.guests = guests;
        this.pending = pending;
    }

    /** The cluster as it is now. */
    public static Projection of(Cluster cluster) {
        // Filled in name order, so imbalance() sums in name order; looked up by hash.
        Map<String, Utilisation> loads = new LinkedHashMap<>();
        for (Host host : cluster.hosts()) {
            cluster.utilisation(host.name()).ifPresent(u -> loads.put(host.name(), u));
        }
        return new Projection(cluster, loads, new HashMap<>(), new HashMap<>());
    }

    public Projection copy() {
        Map<String, TreeMap<String, Guest>> guestsCopy = new HashMap<>();
        guests.forEach((h, g) -> guestsCopy.put(h, new TreeMap<>(g)));
        Map<String, List<Change>> pendingCopy = new HashMap<>();
        pending.forEach((h, c) -> pendingCopy.put(h, new ArrayList<>(c)));
        return new Projection(cluster, new LinkedHashMap<>(loads), guestsCopy, pendingCopy);
    }

    /** Moves the guest: the source loses its CPU (now and expected) and memory, the target gains them. */
    public void move(Guest guest, String source, String target) {
        change(source, new Change(guest.name(), null));
        change(target, new Change(guest.name(), guest.on(target)));
        loads.computeIfPresent(source, (h, u) -> u.minus(guest));
        loads.computeIfPresent(target, (h, u) -> u.plus(guest));
    }

    private void change(String host, Change change) {
        TreeMap<String, Guest> onHost = guests.get(host);
        if (onHost == null) {
            pending.computeIfAbsent(host, h -> new ArrayList<>()).add(change);
        } else {
            apply(onHost, change);
        }
    }

    private static void apply(TreeMap<String, Guest> onHost, Change change) {
        if (change.arrived() == null) {
            onHost.remove(change.name());
        } else {
            onHost.put(change.name(), change.arrived());
        }
    }

    /**
     * The host's guests by name: read from the cluster (none for a host it does not know) on first
     * use, with the moves onto and off it so far.
     */
    private TreeMap<String, Guest> guestsOf(String host) {
        TreeMap<String, Guest> onHost = guests.get(host);
        if (onHost == null) {
            onHost = new TreeMap<>();
            if (cluster.host(host).isPresent()) {
                for (Guest g : cluster.guestsOn(host)) {
                    onHost.put(g.name(), g);
                }
            }
            for (Change c : pending.getOrDefault(host, List.of())) {
                apply(onHost, c);
            }
            pending.remove(host);
            guests.put(host, onHost);
        }
        return onHost;
    }

    public boolean knows(String host) {
        return loads.containsKey(host);
    }

    /** The host's projected load; a host without facts has none and is reported as unknown by the rules. */
    public Utilisation utilisation(String host) {
        Utilisation u = loads.get(host);
        if (u == null) {
            throw new IllegalArgumentException("host " + host + " is not in the cluster model");
        }
        return u;
    }

    public Collection<Guest> guestsOn(String host) {
        return List.copyOf(guestsOf(host).values());
    }

    /** The guest of that name on the host, if there is one. */
    public Optional<Guest> guest(String host, String name) {
        TreeMap<String, Guest> onHost = guests.get(host);
        if (onHost != null) {
            return Optional.ofNullable(onHost.get(name));
        }
        // Not read yet: the last move onto or off it with that name, else the cluster's one guest.
        List<Change> changes = pending.getOrDefault(host, List.of());
        for (int i = changes.size() - 1; i >= 0; i--) {
            if (changes.get(i).name().equals(name)) {
                return Optional.ofNullable(changes.get(i).arrived());
            }
        }
        return cluster.host(host).isPresent() ? cluster.guest(host, name) : Optional.empty();
    }

    /**
     * Population standard deviation of the normalised CPU load of the hosts that count. Memory is a
     * limit every placement respects, not a load to spread: it does not change minute to minute.
     */
    public double imbalance(Predicate<String> counted) {
        return spread(counted, Utilisation::cpu);
    }

    /** The same over the hosts' expected CPU load. */
    public double expectedImbalance(Predicate<String> counted) {
        return spread(counted, Utilisation::expectedCpu);
    }

    private double spread(Predicate<String> counted, ToDoubleFunction<Utilisation> load) {
        List<Double> values = new ArrayList<>();
        loads.forEach((h, u) -> {
            if (counted.test(h)) {
                values.add(load.applyAsDouble(u));
            }
        });
        return standardDeviation(values);
    }

    /** Mean normalised CPU load of the hosts that count; 0 when none does. */
    public double meanCpu(Predicate<String> counted) {
        double sum = 0;
        int n = 0;
        for (Map.Entry<String, Utilisation> e : loads.entrySet()) {
            if (counted.test(e.getKey())) {
                sum += e.getValue().cpu();
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    public static double standardDeviation(List<Double> values) {
        if (values.isEmpty()) {
            return 0;
        }
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double variance = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / values.size();
        return Math.sqrt(variance);
    }
}
