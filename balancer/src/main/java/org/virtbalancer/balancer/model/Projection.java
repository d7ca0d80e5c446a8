package org.virtbalancer.balancer.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The cluster as it would be after some moves: each host's load and guests. Planning simulates
 * every move here (in-flight ones first) so no decision counts on capacity another has taken.
 */
public final class Projection {
    private final Map<String, Utilisation> loads;
    private final Map<String, TreeMap<String, Guest>> guests;

    private Projection(Map<String, Utilisation> loads, Map<String, TreeMap<String, Guest>> guests) {
        this.loads = loads;
        this.guests = guests;
    }

    /** The cluster as it is now. */
    public static Projection of(Cluster cluster) {
        // Filled in name order, so imbalance() sums in name order; looked up by hash.
        Map<String, Utilisation> loads = new LinkedHashMap<>();
        Map<String, TreeMap<String, Guest>> guests = new HashMap<>();
        for (Host host : cluster.hosts()) {
            cluster.utilisation(host.name()).ifPresent(u -> loads.put(host.name(), u));
            TreeMap<String, Guest> onHost = new TreeMap<>();
            cluster.guestsOn(host.name()).forEach(g -> onHost.put(g.name(), g));
            guests.put(host.name(), onHost);
        }
        return new Projection(loads, guests);
    }

    public Projection copy() {
        Map<String, TreeMap<String, Guest>> guestsCopy = new HashMap<>();
        guests.forEach((h, g) -> guestsCopy.put(h, new TreeMap<>(g)));
        return new Projection(new LinkedHashMap<>(loads), guestsCopy);
    }

    /** Moves the guest: the source loses its CPU and memory, the target gains them. */
    public void move(Guest guest, String source, String target) {
        TreeMap<String, Guest> from = guests.get(source);
        if (from != null) {
            from.remove(guest.name());
        }
        guests.computeIfAbsent(target, h -> new TreeMap<>()).put(guest.name(), guest.on(target));
        loads.computeIfPresent(source, (h, u) -> u.minus(guest.cpuCores(), guest.activeMemoryMiB()));
        loads.computeIfPresent(target, (h, u) -> u.plus(guest.cpuCores(), guest.activeMemoryMiB()));
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
        TreeMap<String, Guest> onHost = guests.get(host);
        return onHost == null ? List.of() : List.copyOf(onHost.values());
    }

    /** Population standard deviation of the binding load of the hosts that count. */
    public double imbalance(Predicate<String> counted) {
        List<Double> values = new ArrayList<>();
        loads.forEach((h, u) -> {
            if (counted.test(h)) {
                values.add(u.binding());
            }
        });
        return standardDeviation(values);
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
