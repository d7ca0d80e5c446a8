package org.virtbalancer.balancer.model;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;

/** Guests read on first use, with the moves made before, are the guests an eager copy would show. */
class ProjectionTest {
    private static final long NOW = 10_000_000;

    @Test
    void guestsReadLateShowEveryMoveMadeBefore() {
        for (long seed = 1; seed <= 30; seed++) {
            Random r = new Random(seed);
            Cluster cluster = new Cluster();
            List<String> hosts = List.of("h0", "h1", "h2", "h3", "h4");
            List<Guest> all = new ArrayList<>();
            for (String h : hosts) {
                // Three of ten names per host, so the same name is on two hosts now and then, as around a migration.
                List<Integer> numbers = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
                Collections.shuffle(numbers, r);
                List<GuestDescriptor> guests = numbers.subList(0, 3).stream()
                        .map(n -> guest("vm" + n, GuestState.RUNNING)).toList();
                cluster.applyInventory(new Inventory(host(h), guests), NOW);
                cluster.applySample(new HostLoad(h, 10_000, 2, 4096, 0, 0,
                        guests.stream().map(d -> guestLoad(d.name(), 0.5)).toList()), NOW);
                all.addAll(cluster.guestsOn(h));
            }
            Projection lazy = Projection.of(cluster);
            // The reference: every host's guests read up front, as the projection used to.
            Map<String, TreeMap<String, Guest>> eager = new TreeMap<>();
            for (String h : hosts) {
                TreeMap<String, Guest> onHost = new TreeMap<>();
                cluster.guestsOn(h).forEach(g -> onHost.put(g.name(), g));
                eager.put(h, onHost);
            }
            List<String> anyHost = List.of("h0", "h1", "h2", "h3", "h4", "unknown");
            for (int step = 0; step < 40; step++) {
                Guest g = all.get(r.nextInt(all.size()));
                String source = anyHost.get(r.nextInt(anyHost.size()));
                String target = anyHost.get(r.nextInt(anyHost.size()));
                lazy.move(g, source, target);
                TreeMap<String, Guest> from = eager.get(source);
                if (from != null) {
                    from.remove(g.name());
                }
                eager.computeIfAbsent(target, h -> new TreeMap<>()).put(g.name(), g.on(target));
                String asked = anyHost.get(r.nextInt(anyHost.size()));
                String name = "vm" + r.nextInt(10);
                TreeMap<String, Guest> expected = eager.getOrDefault(asked, new TreeMap<>());
                assertEquals(Optional.ofNullable(expected.get(name)), lazy.guest(asked, name),
                        "seed " + seed + " step " + step + ": " + name + " on " + asked);
                if (r.nextInt(4) == 0) {
                    assertEquals(List.copyOf(expected.values()), lazy.guestsOn(asked), "seed " + seed + " step " + step);
                }
            }
            for (String h : anyHost) {
                assertEquals(List.copyOf(eager.getOrDefault(h, new TreeMap<>()).values()), lazy.guestsOn(h));
            }
        }
    }
}
