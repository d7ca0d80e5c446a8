package org.virtbalancer.balancer.bench;

import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.replay.VirtualClock;
import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestLoad;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.PlanDecision;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scale benchmark for issue 4 item 7: planner, model ingest and message decoding at 100 to 10,000
 * hosts of 32 CPUs and 256 GiB with 20 guests each, 5% of them overloaded. A plain harness (warm-up,
 * then several measured repetitions, median and p90), excluded from the normal test run. Run it by
 * name:
 *
 * <pre>mvn -B -pl balancer -am verify -Dtest=ScaleBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * <p>Surefire forks with -Xmx1g (parent pom), so the 10,000-host model has to fit in 1 GiB.
 * System properties: {@code bench.hosts} (comma-separated, default 100,1000,2000,5000,10000),
 * {@code bench.runs} (measured repetitions, default 5). Writes balancer/target/scale-benchmark.txt.
 */
class ScaleBenchmark {
    static final int GUESTS_PER_HOST = 20;
    static final int CPUS = 32;
    static final long MEMORY_MIB = 256 * 1024;
    /** Every 20th host runs hot: 5% overloaded. */
    static final int HOT_EVERY = 20;
    static final int SAMPLE_ROUNDS = 3;
    static final Duration INTERVAL = Duration.ofSeconds(10);
    static final StoragePool POOL = new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared",
            "storage.sim", "/export/images", true);
    static final QemuIdentity QEMU = new QemuIdentity(64055, Map.of("kvm", 994L, "libvirt", 995L));

    /**
     * Default watermarks and k of n (3 of 5); the concurrency limits are lifted (20 per source, 2 per
     * target, none cluster-wide) so one tick plans relief for every overloaded host, not only the
     * first 8 moves the default limits allow.
     */
    static BalancerSettings settings() {
        return BalancerSettings.defaults().withLimits(20, 2, Integer.MAX_VALUE);
    }

    /** One cluster's inputs, generated once per size from a fixed seed. */
    record Scenario(int hosts, List<Inventory> inventories, List<List<HostLoad>> rounds) {
        static Scenario of(int hosts) {
            Random r = new Random(42L + hosts);
            List<Inventory> inventories = new ArrayList<>(hosts);
            List<List<HostLoad>> rounds = new ArrayList<>();
            for (int i = 0; i < SAMPLE_ROUNDS; i++) {
                rounds.add(new ArrayList<>(hosts));
            }
            long[] memories = {2048, 4096, 8192};
            for (int h = 0; h < hosts; h++) {
                String host = String.format(Locale.ROOT, "host-%05d", h);
                boolean hot = h % HOT_EVERY == 7;
                List<GuestDescriptor> guests = new ArrayList<>(GUESTS_PER_HOST);
                double[] cores = new double[GUESTS_PER_HOST];
                double[] dirty = new double[GUESTS_PER_HOST];
                for (int g = 0; g < GUESTS_PER_HOST; g++) {
                    String name = host + "-vm" + g;
                    guests.add(new GuestDescriptor(name, "uuid-" + name, GuestState.RUNNING, true, 2 + r.nextInt(3),
                            memories[r.nextInt(memories.length)], "custom",
                            List.of(new Disk("vda", "disk", "virtio", "none", POOL.targetPath() + "/" + name + ".qcow2",
                                    POOL.name(), false)), List.of(), false, Map.of()));
                    cores[g] = hot ? 1.4 + 0.2 * r.nextDouble() : 0.2 + 0.8 * r.nextDouble();
                    dirty[g] = 5 + 45 * r.nextDouble();
                }
                inventories.add(new Inventory(facts(host), guests));
                for (int round = 0; round < SAMPLE_ROUNDS; round++) {
                    List<GuestLoad> loads = new ArrayList<>(GUESTS_PER_HOST);
                    double total = 0.5;
                    long memory = 4096;
                    for (int g = 0; g < GUESTS_PER_HOST; g++) {
                        double c = cores[g] * (0.95 + 0.1 * r.nextDouble());
                        total += c;
                        memory += guests.get(g).memoryMiB();
                        loads.add(new GuestLoad(guests.get(g).name(), c, guests.get(g).memoryMiB(), dirty[g], 1, 1));
                    }
                    rounds.get(round).add(new HostLoad(host, INTERVAL.toMillis(), total, memory, 10, 10, loads));
                }
            }
            return new Scenario(hosts, inventories, rounds);
        }

        static HostFacts facts(String host) {
            return new HostFacts(host, "x86_64", "EPYC", CPUS, MEMORY_MIB, 1250, "QEMU", "9.0.0", "7.2.0",
                    "10.0.0.0/16", "10.0.0.1", "qemu+tcp://" + host + "/system", Map.of(), List.of(POOL), QEMU);
        }

        /** A core with every inventory and every sample round applied: hot hosts are confirmed overloaded. */
        BalancerCore load(VirtualClock clock) {
            BalancerCore core = new BalancerCore(settings(), clock);
            inventories.forEach(core::onInventory);
            for (List<HostLoad> round : rounds) {
                clock.advance(INTERVAL);
                round.forEach(core::onHostLoad);
            }
            return core;
        }
    }

    record Stats(double median, double p90) {
        static Stats of(double[] values) {
            double[] v = values.clone();
            Arrays.sort(v);
            return new Stats(v[(v.length - 1) / 2] / 2 + v[v.length / 2] / 2, v[(int) Math.ceil(0.9 * v.length) - 1]);
        }
    }

    record Row(int hosts, int guests, Stats planMs, Stats planCpuMs, int moves, int notMoved, Stats ingest,
               Stats decode) {}

    @Test
    void scale() throws IOException {
        int[] sizes = Arrays.stream(System.getProperty("bench.hosts", "100,1000,2000,5000,10000").split(","))
                .map(String::trim).mapToInt(Integer::parseInt).toArray();
        int runs = Integer.getInteger("bench.runs", 5);
        StringBuilder out = new StringBuilder();
        line(out, "ScaleBenchmark: %d guests/host, %d%% hosts overloaded, %d measured runs after warm-up; "
                        + "%d cores available, max heap %d MiB, %s %s", GUESTS_PER_HOST, 100 / HOT_EVERY, runs,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.vm.name"), System.getProperty("java.version"));

        // Warm-up: the JIT compiles the planner, the model and the codec on a small cluster first.
        Scenario warm = Scenario.of(Integer.getInteger("bench.warmupHosts", 1000));
        for (int i = 0; i < 3; i++) {
            plan(warm);
            ingest(warm);
            decode(warm, 20_000);
        }

        List<Row> rows = new ArrayList<>();
        for (int hosts : sizes) {
            Scenario s = Scenario.of(hosts);
            plan(s); // one warm-up at this size
            double[] plan = new double[runs];
            double[] planCpu = new double[runs];
            double[] ingest = new double[runs];
            double[] decode = new double[runs];
            int moves = 0;
            int notMoved = 0;
            int digest = 0;
            for (int i = 0; i < runs; i++) {
                PlanResult p = plan(s);
                plan[i] = p.ms();
                planCpu[i] = p.cpuMs();
                moves = p.moves();
                notMoved = p.notMoved();
                digest = p.digest();
                ingest[i] = ingest(s);
                decode[i] = decode(s, 50_000);
            }
            Row row = new Row(hosts, hosts * GUESTS_PER_HOST, Stats.of(plan), Stats.of(planCpu), moves, notMoved,
                    Stats.of(ingest), Stats.of(decode));
            rows.add(row);
            System.out.printf(Locale.ROOT, "%d hosts: plan median %.1f ms p90 %.1f ms (cpu %.1f ms; %d moves, plan digest %08x), "
                            + "ingest %.0f/s, decode %.0f/s%n", hosts, row.planMs().median(), row.planMs().p90(),
                    row.planCpuMs().median(), moves, digest, row.ingest().median(), row.decode().median());
        }

        line(out, "");
        line(out, "| hosts | guests | plan median ms | plan p90 ms | plan cpu median ms | moves planned | not-moved notes | ingest samples/s (median) | decode msgs/s (median) |");
        line(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            line(out, "| %,d | %,d | %.1f | %.1f | %.1f | %,d | %,d | %,.0f | %,.0f |", r.hosts(), r.guests(),
                    r.planMs().median(), r.planMs().p90(), r.planCpuMs().median(), r.moves(), r.notMoved(),
                    r.ingest().median(), r.decode().median());
        }
        int largest = Arrays.stream(sizes).max().orElse(0);
        long heap = retainedHeapMiB(Scenario.of(largest));
        line(out, "");
        line(out, "retained heap with the %,d-host model loaded (after System.gc()): %d MiB of max %d MiB", largest, heap,
                Runtime.getRuntime().maxMemory() >> 20);
        line(out, "");
        line(out, "plan time against hosts (median):");
        double max = rows.stream().mapToDouble(r -> r.planMs().median()).max().orElse(1);
        for (Row r : rows) {
            line(out, "%6d | %-50s %.1f ms", r.hosts(), "#".repeat((int) Math.max(1, Math.round(50 * r.planMs().median() / max))),
                    r.planMs().median());
        }
        System.out.print(out);
        Path file = Path.of("target", "scale-benchmark.txt");
        Files.createDirectories(file.getParent());
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
        assertTrue(rows.stream().allMatch(r -> r.moves() > 0), "every scenario plans moves");
    }

    record PlanResult(double ms, double cpuMs, int moves, int notMoved, int digest) {}

    /**
     * A fresh core per run, so each tick plans every overloaded host from scratch. Wall time, and the
     * thread's CPU time: on a shared machine the difference is time spent waiting for a core.
     */
    static PlanResult plan(Scenario s) {
        VirtualClock clock = VirtualClock.atStart();
        BalancerCore core = s.load(clock);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        List<Action> actions = core.tick();
        long t1 = System.nanoTime();
        long c1 = threads.getCurrentThreadCpuTime();
        int moves = (int) actions.stream().filter(Action.SendMigrate.class::isInstance).count();
        int notMoved = actions.stream().filter(Action.PublishDecision.class::isInstance)
                .map(a -> ((Action.PublishDecision) a).decision()).filter(PlanDecision.class::isInstance)
                .mapToInt(d -> ((PlanDecision) d).notMoved().size()).sum();
        // Every command (guest, hosts, mode, options, deadline, reason) and every decision's trigger,
        // imbalance, moves and notes, ids left out: equal digests mean the same plan.
        int digest = actions.stream().map(a -> a instanceof Action.SendMigrate m ? m.migrate().toString()
                : a instanceof Action.PublishDecision d && d.decision() instanceof PlanDecision p
                ? String.join("|", p.trigger(), String.valueOf(p.imbalanceBefore()), String.valueOf(p.imbalanceAfter()),
                p.moves().stream().map(mv -> List.of(mv.guest(), mv.source(), mv.target(), mv.mode(), mv.reason(),
                        mv.sourceLoadBefore(), mv.sourceLoadAfter(), mv.targetLoadBefore(), mv.targetLoadAfter(),
                        mv.costMiB())).toList().toString(),
                String.join("|", p.notMoved())) : "").toList().hashCode();
        return new PlanResult((t1 - t0) / 1e6, (c1 - c0) / 1e6, moves, notMoved, digest);
    }

    /**
     * HostLoad samples (each with 20 GuestLoads) per second into onHostLoad, on this one thread, at
     * least 50,000 of them. Every host has sent one sample before the clock starts, as in a running
     * balancer: a guest's first sample also registers it, once in its life.
     */
    static double ingest(Scenario s) {
        VirtualClock clock = VirtualClock.atStart();
        BalancerCore core = new BalancerCore(settings(), clock);
        s.inventories().forEach(core::onInventory);
        clock.advance(INTERVAL);
        s.rounds().get(0).forEach(core::onHostLoad);
        long samples = 0;
        long t0 = System.nanoTime();
        int passes = (int) Math.ceil(50_000.0 / s.hosts() / SAMPLE_ROUNDS);
        for (int p = 0; p < passes; p++) {
            for (List<HostLoad> round : s.rounds()) {
                clock.advance(INTERVAL);
                for (HostLoad load : round) {
                    core.onHostLoad(load);
                }
                samples += round.size();
            }
        }
        return samples / ((System.nanoTime() - t0) / 1e9);
    }

    /** Codec.decode of HostLoad envelopes (JSON bytes) per second, on this one thread. */
    static double decode(Scenario s, int messages) {
        Codec codec = new Codec();
        List<HostLoad> first = s.rounds().get(0);
        int distinct = Math.min(first.size(), 1000);
        byte[][] bytes = new byte[distinct][];
        for (int i = 0; i < distinct; i++) {
            bytes[i] = codec.encode(Envelope.of("agent:" + first.get(i).host(), first.get(i), 1_700_000_000_000L));
        }
        long t0 = System.nanoTime();
        int ok = 0;
        for (int i = 0; i < messages; i++) {
            if (codec.decode(bytes[i % distinct]) instanceof Decoded.Ok) {
                ok++;
            }
        }
        double rate = messages / ((System.nanoTime() - t0) / 1e9);
        if (ok != messages) {
            throw new AssertionError("decoded " + ok + " of " + messages);
        }
        return rate;
    }

    /** Heap in use after GC with the model of the largest cluster loaded and reachable. */
    static long retainedHeapMiB(Scenario s) {
        BalancerCore core = s.load(VirtualClock.atStart());
        // The scenario's own inputs would be counted too; drop them first.
        s = null;
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long used = memory.getHeapMemoryUsage().getUsed();
        if (core.snapshot().hosts().isEmpty()) {
            throw new AssertionError("model is empty");
        }
        return used >> 20;
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
