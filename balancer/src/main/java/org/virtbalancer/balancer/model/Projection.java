package org.virtbalancer.balancer.model;

import java.util.ArrayList;
import java.util.Collection;
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
        Map<String, Utilisation> loads = new TreeMap<>();
        Map<String, TreeMap<String, Guest>> guests = new TreeMap<>();
        for (Host host : cluster.hosts()) {
            cluster.utilisation(host.name()).ifPresent(u -> loads.put(host.name(), u));
            TreeMap<String, Guest> onHost = new TreeMap<>();
            cluster.guestsOn(host.name()).forEach(g -> onHost.put(g.name(), g));
            guests.put(host.name(), onHost);
        }
        return new Projection(loads, guests);
    }

    public Projection copy() {
        Map<String, TreeMap<String, Guest>> guestsCopy = new TreeMap<>();
        guests.forEach((h, g) -> guestsCopy.put(h, new TreeMap<>(g)));
        return new Projection(new TreeMap<>(loads), guestsCopy);
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

    /**
     * Population standard deviation of the normalised CPU load of the hosts that count. Memory is a
     * limit every placement respects, not a load to spread: it does not change minute to minute.
     */
    public double imbalance(Predicate<String> counted) {
        List<Double> values = new ArrayList<>();
        loads.forEach((h, u) -> {
            if (counted.test(h)) {
                values.add(u.cpu());
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
