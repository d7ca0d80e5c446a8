package org.virtbalancer.balancer.plan;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.execute.ConcurrencyLimits;
import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.execute.Slots;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.GuestUsage;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.virtbalancer.balancer.Fixtures.QEMU;
import static org.virtbalancer.balancer.Fixtures.SHARED_POOL;
import static org.virtbalancer.balancer.Fixtures.guest;

/** The index answers what a scan of every host answers, while moves change loads and fill slots. */
class TargetIndexTest {
    private static final long NOW = 10_000_000;

    @Test
    void firstIsTheFirstEligibleHostOfAFullScan() {
        for (long seed = 1; seed <= 40; seed++) {
            checkRandomCluster(seed);
        }
    }

    private static void checkRandomCluster(long seed) {
        Random r = new Random(seed);
        int hosts = 1 + r.nextInt(seed % 4 == 0 ? 400 : 60);
        // Few distinct loads and capacities, so ties in load after the move are common.
        int[] cpuChoices = seed % 3 == 0 ? new int[] {16} : new int[] {8, 16, 32, 64};
        long[] memoryChoices = seed % 3 == 0 ? new long[] {65_536} : new long[] {32_768, 65_536, 262_144};
        Cluster cluster = new Cluster();
        for (int h = 0; h < hosts; h++) {
            String name = "h" + h;
            int cpus = cpuChoices[r.nextInt(cpuChoices.length)];
            long memory = memoryChoices[r.nextInt(memoryChoices.length)];
            cluster.applyInventory(new Inventory(facts(name, cpus, memory), List.of()), NOW);
            double cores = seed % 2 == 0 ? r.nextInt(cpus + 1) : r.nextDouble() * cpus;
            long mib = seed % 2 == 0 ? memory / 8 * r.nextInt(9) : (long) (r.nextDouble() * memory);
            cluster.applySample(new HostLoad(name, 10_000, cores, mib, 0, 0, List.of()), NOW);
        }
        PlanningView view = new PlanningView(cluster, Projection.of(cluster), Map.of(), Duration.ofSeconds(30),
                migrations(), NOW);
        Slots slots = new Migrations(new ConcurrencyLimits(100, 1 + r.nextInt(3), 1000), Duration.ofMinutes(5),
                Duration.ofSeconds(60), 3).slots();
        TargetIndex index = new TargetIndex(view, slots);
        for (int step = 0; step < 300; step++) {
            String source = "h" + r.nextInt(hosts);
            // A shut-off guest takes no CPU or memory with it.
            GuestState state = r.nextInt(8) == 0 ? GuestState.SHUTOFF : GuestState.RUNNING;
            Guest g = new Guest(guest("g" + step, state, 1024L * (1 + r.nextInt(16)), Map.of()), source,
                    usage(r.nextInt(4) == 0 ? 0 : r.nextDouble() * 6));
            double ceiling = r.nextInt(5) == 0 ? Double.POSITIVE_INFINITY : 0.3 + 0.8 * r.nextDouble();
            double memoryCeiling = r.nextInt(5) == 0 ? Double.POSITIVE_INFINITY : 0.3 + 0.8 * r.nextDouble();
            Predicate<String> eligible = someHosts(r.nextLong());
            Optional<Target> expected = scan(view, slots, g, source, ceiling, memoryCeiling, eligible);
            Optional<Target> actual = index.first(g, source, ceiling, memoryCeiling, eligible);
            assertEquals(expected, actual, "seed " + seed + " step " + step);
            if (actual.isPresent() && r.nextBoolean()) {
                String target = actual.get().host();
                view.projection().move(g, source, target);
                slots.take(source, target);
                index.update(source);
                index.update(target);
            }
        }
    }

    /** About three hosts in four, the same ones whatever order the search asks in. */
    private static Predicate<String> someHosts(long seed) {
        return h -> new Random(seed ^ h.hashCode()).nextInt(4) > 0;
    }

    /** Every host, as the planner ran it before the index: first by (CPU after, name) that fits and passes. */
    private static Optional<Target> scan(PlanningView view, Slots slots, Guest g, String source, double ceiling,
                                         double memoryCeiling, Predicate<String> eligible) {
        List<Target> targets = new ArrayList<>();
        for (Host h : view.hosts()) {
            if (h.name().equals(source) || !view.projection().knows(h.name()) || slots.targetFull(h.name())) {
                continue;
            }
            Utilisation before = view.projected(h.name());
            Utilisation after = before.plus(g);
            if (after.cpu() <= ceiling && after.memory() <= memoryCeiling) {
                targets.add(new Target(h.name(), before, after));
            }
        }
        targets.sort(Comparator.comparingDouble((Target t) -> t.after().cpu()).thenComparing(Target::host));
        return targets.stream().filter(t -> eligible.test(t.host())).findFirst();
    }

    private static Migrations migrations() {
        return new Migrations(new ConcurrencyLimits(2, 2, 8), Duration.ofMinutes(5), Duration.ofSeconds(60), 3);
    }

    private static HostFacts facts(String name, int cpus, long memoryMiB) {
        return new HostFacts(name, "x86_64", "Skylake", cpus, memoryMiB, 1000, "simulated", "9.0.0", "7.2.0",
                "10.0.0.0/24", "10.0.0.1", "qemu+tcp://" + name + "/system", Map.of(), List.of(SHARED_POOL), QEMU);
    }

    /** A guest using {@code cores} now and, as far as its history tells, over the next minutes too. */
    private static GuestUsage usage(double cores) {
        return new GuestUsage(cores, 0, 0, 1, 0, cores);
    }
}
