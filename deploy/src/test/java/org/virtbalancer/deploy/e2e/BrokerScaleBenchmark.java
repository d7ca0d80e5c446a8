package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.BalancerVerticle;
import org.virtbalancer.deploy.cli.VbalProcess;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Benchmark, not part of the suite (surefire excludes *Benchmark): issue 4's scale run through the
 * real broker. An in-process KRaft broker and the real {@link BalancerVerticle} run in this JVM;
 * {@code bench.processes} child JVMs run {@code vbal agent --driver simulated --host-count …}, the
 * operator's own command, together 2,000 simulated hosts with 20 guests each, reporting every 10 s
 * in real time, each host on its own command topic. After a steady period one host is loaded to
 * 95% of its CPUs ({@code --overload}); the benchmark measures the balancer's lag over the whole
 * run and the time from that host's first hot sample to the first Migrate on its command topic.
 *
 * <pre>mvn -B -pl deploy -am verify -Dtest=BrokerScaleBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * <p>System properties: {@code bench.hosts} (2000), {@code bench.guestsPerHost} (20),
 * {@code bench.processes} (1), {@code bench.steadySeconds} (240, fleet running until the overload),
 * {@code bench.fleetHeap} (1g). Writes deploy/target/broker-scale-benchmark.txt and the fleets' logs
 * next to it.
 *
 * <p>Lag, three ways, over the time from one minute after every fleet process runs to the end (the
 * first minute is reported apart):
 * <ul>
 *   <li><b>record delay</b>: for each HostLoad the balancer handles, the wall clock when its
 *   handler runs minus the envelope's {@code ts}, which the agent stamped when it sent the
 *   sample (same machine, same clock). It covers producer batching, the broker, the fetch and
 *   waiting on the balancer's event loop.</li>
 *   <li><b>staleness</b>: every 100 ms, now minus the {@code ts} of the newest HostLoad the
 *   balancer has handled; it also grows while nothing arrives.</li>
 *   <li><b>committed offsets behind</b>: every second, the host-load end offset minus the
 *   balancer group's committed offset (Admin API), and that many records in seconds at the
 *   cluster's sample rate. The balancer commits once a second, so this has a floor of about one
 *   second's records.</li>
 * </ul>
 */
class BrokerScaleBenchmark {
    private static final String PREFIX = "h";
    /**
     * From "every fleet runs": six sample intervals, reported apart from the measured window. Starting
     * 2,000 hosts at once (all inventories, then every host's first samples, into cold JITs) loads the
     * whole 2-core machine, the broker included; that is not the balancer's steady state.
     */
    private static final Duration WARMUP = Duration.ofSeconds(60);
    private static final Codec CODEC = new Codec();

    @Test
    void twoThousandSimulatedHostsThroughTheRealBroker() throws Exception {
        int hosts = Integer.getInteger("bench.hosts", 2000);
        int guestsPerHost = Integer.getInteger("bench.guestsPerHost", 20);
        int processes = Integer.getInteger("bench.processes", 1);
        long steadyS = Long.getLong("bench.steadySeconds", 240);
        String fleetHeap = System.getProperty("bench.fleetHeap", "1g");
        Duration interval = Duration.ofSeconds(10);
        BalancerSettings settings = BalancerSettings.defaults();
        double sustainS = settings.overloadK() * interval.toSeconds();
        int cpus = HostSpec.of("x").cpus();
        String hot = PREFIX + (hosts / 2 + 17);
        Path out = Path.of("target").toAbsolutePath();
        Files.createDirectories(out);
        Path state = Files.createTempDirectory("vb-scale-");

        StringBuilder report = new StringBuilder();
        long t0 = System.currentTimeMillis();
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            long brokerUp = System.currentTimeMillis();
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            Topics topics = kafka.topics();
            Vertx vertx = Vertx.vertx();
            Observed seen = new Observed(hot, cpus, settings.highWatermark());
            BalancerConfig config = BalancerConfig.of("bench", kafka).withSettings(settings);
            SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            BalancerVerticle balancer = new BalancerVerticle(config, Clock.systemUTC(), metrics);
            balancer.onReceived(seen::received);
            balancer.onCommandSent(seen::sent);
            vertx.deployVerticle(balancer).await(60, TimeUnit.SECONDS);

            List<Fleet> fleets = new ArrayList<>();
            int per = (hosts + processes - 1) / processes;
            for (int p = 0; p < processes; p++) {
                int first = 1 + p * per;
                int count = Math.min(per, hosts - p * per);
                int hotNumber = Integer.parseInt(hot.substring(PREFIX.length()));
                boolean ownsHot = hotNumber >= first && hotNumber < first + count;
                fleets.add(Fleet.start(p, first, count, guestsPerHost, kafka, state.resolve("fleet-" + p), fleetHeap,
                        ownsHot ? hot + "@" + steadyS + "s" : null, out.resolve("broker-scale-fleet-" + p + ".log")));
            }
            Sampler sampler = new Sampler(kafka, config.groupId(), topics.hostLoad(), seen, metrics.get("vb.balancer.tick.duration").timer());
            LoadTap loadTap = new LoadTap(kafka);
            String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
            Tap tap = null;
            try {
                for (Fleet f : fleets) {
                    await().atMost(Duration.ofMinutes(10)).until(() -> f.runningAt() > 0 || !f.process.isAlive());
                    assertTrue(f.process.isAlive(), () -> "fleet " + f.index + " died: " + f.output());
                }
                long running = fleets.stream().mapToLong(Fleet::runningAt).max().orElseThrow();
                // The first samples of a just-started fleet meet cold JITs and the start-up inventory burst: kept apart.
                long measuredFrom = running + WARMUP.toMillis();
                sampler.windowFrom(measuredFrom);
                // The hot host's command topic exists once its fleet runs: read it, and the results, from the start.
                Tap results = new Tap(kafka, List.of(topics.commands(hot), topics.commandResults()));
                tap = results;
                Usage fleetsBefore = Usage.of(fleets);
                Usage selfBefore = Usage.self();
                Thread.sleep(WARMUP.toMillis()); // a fixed window of the benchmark, not a wait for a condition
                long steadyFrom = System.currentTimeMillis();

                Fleet owner = fleets.stream().filter(f -> f.overload != null).findFirst().orElseThrow();
                await().atMost(Duration.ofSeconds(steadyS + 120)).until(() -> owner.overloadAt() > 0);
                long steadyTo = owner.overloadAt();
                Usage fleetsSteady = Usage.of(fleets);
                Usage selfSteady = Usage.self();
                Summary steadyDelay = seen.delays(steadyFrom, steadyTo);
                long commandsBefore = seen.migratesBefore(steadyTo);

                await().atMost(Duration.ofSeconds((long) sustainS + 60)).until(() -> results.firstMigrate(hot) != null);
                Envelope migrate = results.firstMigrate(hot);
                await().atMost(Duration.ofSeconds(120)).until(() -> results.result(migrate.id(), ResultStatus.SUCCEEDED) != null
                        || results.result(migrate.id(), ResultStatus.FAILED) != null
                        || results.result(migrate.id(), ResultStatus.REJECTED) != null);
                // Keep measuring lag while the relief runs.
                Thread.sleep(30_000);
                long end = System.currentTimeMillis();

                Summary delay = seen.delays(measuredFrom, end);
                Summary warmupDelay = seen.delays(running, measuredFrom);
                double staleMaxS = sampler.maxStalenessMs() / 1000.0;
                Summary[] split = loadTap.split(measuredFrom, end);
                Summary[] warmupSplit = loadTap.split(running, measuredFrom);
                String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
                Files.writeString(out.resolve("broker-scale-delay-per-second.csv"), seen.perSecond(t0));
                Files.writeString(out.resolve("broker-scale-ticks-per-second.csv"), sampler.perSecond(t0));
                double[] ticks = sampler.ticks(measuredFrom, end);
                double[] warmupTicks = sampler.ticks(running, measuredFrom);
                double behindMax = sampler.maxBehind();
                double rate = hosts / (double) interval.toSeconds();
                Envelope hotSample = seen.firstHot;
                double reactionS = (migrate.ts() - hotSample.ts()) / 1000.0;
                Envelope accepted = results.result(migrate.id(), ResultStatus.ACCEPTED);
                Envelope finalResult = firstNonNull(results.result(migrate.id(), ResultStatus.SUCCEEDED),
                        results.result(migrate.id(), ResultStatus.FAILED), results.result(migrate.id(), ResultStatus.REJECTED));
                Migrate m = (Migrate) migrate.body();

                report.append(String.format(Locale.ROOT, "date: %s%n", Instant.ofEpochMilli(t0)));
                report.append(String.format(Locale.ROOT, "machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                        System.getProperty("os.arch"), System.getProperty("java.version")));
                report.append(String.format(Locale.ROOT, "cluster: %d hosts x %d guests = %d guests, %d agent process(es)"
                        + " (child JVMs, -Xmx%s), samples every %d s, overload %d of %d above %.2f%n", hosts, guestsPerHost,
                        hosts * guestsPerHost, processes, fleetHeap, interval.toSeconds(), settings.overloadK(),
                        settings.overloadN(), settings.highWatermark()));
                report.append(String.format(Locale.ROOT, "fleet command: %s%n", String.join(" ", fleets.get(0).command)
                        .replace(fleets.get(0).command.get(fleets.get(0).command.indexOf("-cp") + 1), "<the test classpath>")));
                report.append(String.format(Locale.ROOT, "broker up: %.1f s%n", (brokerUp - t0) / 1000.0));
                for (Fleet f : fleets) {
                    report.append(String.format(Locale.ROOT, "fleet %d: %d hosts, running %.1f s after launch (%s)%n", f.index,
                            f.count, (f.runningAt() - f.launchedAt) / 1000.0, f.runningLine()));
                }
                report.append(String.format(Locale.ROOT, "measured window: %.0f s, from %.0f s after every fleet ran to the end;"
                        + " steady part (before the overload) %.0f s%n", (end - measuredFrom) / 1000.0, WARMUP.toSeconds() * 1.0,
                        (steadyTo - steadyFrom) / 1000.0));
                report.append(String.format(Locale.ROOT, "HostLoad records handled in the measured window: %d, %.1f/s (%.1f/s expected)%n",
                        delay.count(), delay.count() * 1000.0 / (end - measuredFrom), rate));
                report.append(String.format(Locale.ROOT, "record delay (handled - sent), measured window: p50 %d ms, p99 %d ms,"
                        + " max %d ms%n", delay.p50(), delay.p99(), delay.max()));
                report.append(String.format(Locale.ROOT, "record delay, steady part only: p50 %d ms, p99 %d ms, max %d ms%n",
                        steadyDelay.p50(), steadyDelay.p99(), steadyDelay.max()));
                report.append(String.format(Locale.ROOT, "record delay in the %d s warm-up after every fleet ran: p50 %d ms,"
                        + " p99 %d ms, max %d ms over %d records%n", WARMUP.toSeconds(), warmupDelay.p50(), warmupDelay.p99(),
                        warmupDelay.max(), warmupDelay.count()));
                report.append(String.format(Locale.ROOT, "  of which (a plain consumer of host-load, same window): agent encode -> its"
                        + " producer took it p50 %d / p99 %d / max %d ms; producer -> plain consumer p50 %d / p99 %d / max %d ms;"
                        + " total p50 %d / p99 %d / max %d ms%n", split[0].p50(), split[0].p99(), split[0].max(), split[1].p50(),
                        split[1].p99(), split[1].max(), split[2].p50(), split[2].p99(), split[2].max()));
                report.append(String.format(Locale.ROOT, "  the same in the warm-up: agent encode -> its producer took it p99 %d / max %d ms;"
                        + " producer -> plain consumer p99 %d / max %d ms%n", warmupSplit[0].p99(), warmupSplit[0].max(),
                        warmupSplit[1].p99(), warmupSplit[1].max()));
                report.append(String.format(Locale.ROOT, "staleness (now - newest handled sample, every 100 ms): max %.2f s%n", staleMaxS));
                report.append(String.format(Locale.ROOT, "balancer ticks (vb_balancer_tick_duration_seconds): mean %.0f ms, worst second %.0f ms in"
                        + " the measured window; mean %.0f ms, worst second %.0f ms in the warm-up%n", ticks[0], ticks[1],
                        warmupTicks[0], warmupTicks[1]));
                report.append(String.format(Locale.ROOT, "committed offsets behind (every 1 s): max %.0f records = %.2f s of"
                        + " samples%n", behindMax, behindMax / rate));
                report.append(String.format(Locale.ROOT, "migrate commands before the overload: %d%n", commandsBefore));
                report.append(String.format(Locale.ROOT, "overload injected on %s at +%.1f s; first hot sample ts +%.1f s"
                        + " (%.2f of %d CPUs)%n", hot, (owner.overloadAt() - t0) / 1000.0, (hotSample.ts() - t0) / 1000.0,
                        ((HostLoad) hotSample.body()).cpuCores() / cpus, cpus));
                report.append(String.format(Locale.ROOT, "first Migrate on %s: ts +%.1f s, %s -> %s (%s)%n",
                        topics.commands(hot), (migrate.ts() - t0) / 1000.0, m.guest(), m.target(), m.mode()));
                report.append(String.format(Locale.ROOT, "first hot sample -> first Migrate: %.2f s (sustain window %.0f s,"
                        + " limit %.0f s)%n", reactionS, sustainS, sustainS + 2));
                report.append(String.format(Locale.ROOT, "agent: ACCEPTED %s, final %s%n",
                        accepted == null ? "not seen" : String.format(Locale.ROOT, "+%.2f s after the Migrate",
                                (accepted.ts() - migrate.ts()) / 1000.0),
                        finalResult == null ? "not seen" : String.format(Locale.ROOT, "%s +%.2f s after the Migrate",
                                ((CommandResult) finalResult.body()).status(), (finalResult.ts() - migrate.ts()) / 1000.0)));
                report.append(String.format(Locale.ROOT, "fleet processes (fleet up -> overload): %s%n", fleetsSteady.since(fleetsBefore)));
                report.append(String.format(Locale.ROOT, "machine load average (1/5/15 min, run queue): at start %s; at end %s%n",
                        loadBefore, loadAfter));
                report.append(String.format(Locale.ROOT, "broker + balancer JVM (fleet up -> overload): %s%n", selfSteady.since(selfBefore)));
                System.out.print(report);
                Files.writeString(out.resolve("broker-scale-benchmark.txt"), report.toString());

                // Commands before the injection are imbalance moves evening out the fleet's uneven start (reported
                // above); the hot host's first command must still come after it ran hot.
                assertTrue(delay.max() < 2000, "record delay stays under 2 s: " + delay.max() + " ms");
                assertTrue(staleMaxS < 2, "staleness stays under 2 s: " + staleMaxS + " s");
                assertTrue(reactionS >= 0, "the hot host's first command came after it ran hot: " + reactionS + " s");
                assertTrue(reactionS <= sustainS + 2, "first command within the sustain window + 2 s: " + reactionS + " s");
                assertEquals(hot, m.source());
                assertEquals(migrate.id(), seen.firstMigrate.id(), "the balancer's first command for the hot host is the one on its topic");
            } finally {
                sampler.close();
                loadTap.close();
                if (tap != null) {
                    tap.close();
                }
                fleets.forEach(Fleet::stop);
                vertx.close().await(120, TimeUnit.SECONDS);
            }
        }
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        return Arrays.stream(values).filter(v -> v != null).findFirst().orElse(null);
    }

    /** Percentiles of a list of delays in ms. */
    record Summary(int count, long p50, long p99, long max) {
        static Summary of(long[] values) {
            if (values.length == 0) {
                return new Summary(0, -1, -1, -1);
            }
            long[] v = values.clone();
            Arrays.sort(v);
            return new Summary(v.length, v[(int) (v.length * 0.50)], v[Math.min(v.length - 1, (int) (v.length * 0.99))],
                    v[v.length - 1]);
        }
    }

    /** What the balancer handled and sent, seen from its own listeners (its event loop). */
    static final class Observed {
        private final String hot;
        private final int cpus;
        private final double high;
        /** Pairs of (handled at, delay ms) of every HostLoad. */
        private final Queue<long[]> delays = new ConcurrentLinkedQueue<>();
        private final List<Envelope> migrates = new CopyOnWriteArrayList<>();
        final AtomicLong newestTs = new AtomicLong();
        volatile Envelope firstHot;
        volatile Envelope firstMigrate;

        Observed(String hot, int cpus, double high) {
            this.hot = hot;
            this.cpus = cpus;
            this.high = high;
        }

        void received(Envelope env) {
            if (env.body() instanceof HostLoad load) {
                long now = System.currentTimeMillis();
                delays.add(new long[]{now, now - env.ts()});
                newestTs.accumulateAndGet(env.ts(), Math::max);
                if (firstHot == null && load.host().equals(hot) && load.cpuCores() / cpus > high) {
                    firstHot = env;
                }
            }
        }

        void sent(Envelope env) {
            if (env.body() instanceof Migrate m) {
                migrates.add(env);
                if (firstMigrate == null && m.source().equals(hot)) {
                    firstMigrate = env;
                }
            }
        }

        long migratesBefore(long ms) {
            return migrates.stream().filter(e -> e.ts() < ms).count();
        }

        Summary delays(long from, long to) {
            return Summary.of(delays.stream().filter(d -> d[0] >= from && d[0] < to).mapToLong(d -> d[1]).toArray());
        }

        /** Per second: the second, records handled, their largest delay. */
        String perSecond(long from) {
            Map<Long, long[]> seconds = new java.util.TreeMap<>();
            for (long[] d : delays) {
                long[] s = seconds.computeIfAbsent((d[0] - from) / 1000, k -> new long[2]);
                s[0]++;
                s[1] = Math.max(s[1], d[1]);
            }
            StringBuilder b = new StringBuilder("second,records,max_delay_ms\n");
            seconds.forEach((sec, v) -> b.append(sec).append(',').append(v[0]).append(',').append(v[1]).append('\n'));
            return b.toString();
        }
    }

    /**
     * A second reader of host-load, apart from the balancer: where a record's delay arises.
     * Per record: envelope ts (the agent encoded it), record timestamp (the agent's producer
     * took it), and when this plain consumer got it.
     */
    static final class LoadTap implements AutoCloseable {
        private final Queue<long[]> seen = new ConcurrentLinkedQueue<>();
        private final Thread thread;
        private volatile boolean running = true;

        LoadTap(KafkaSettings kafka) {
            Map<String, Object> props = new HashMap<>(kafka.consumer("bench-load-tap", "bench-load-tap"));
            props.put("auto.offset.reset", "latest");
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props);
            List<TopicPartition> tps = partitions(kafka.topics(), kafka.topics().hostLoad());
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            thread = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            long now = System.currentTimeMillis();
                            long ts = envelopeTs(r.value());
                            if (ts > 0) {
                                seen.add(new long[]{now, ts, r.timestamp()});
                            }
                        }
                    }
                }
            }, "bench-load-tap");
            thread.setDaemon(true);
            thread.start();
        }

        /** The envelope's "ts" without decoding the message: this reader must not compete for the CPU it measures. */
        static long envelopeTs(byte[] value) {
            byte[] key = "\"ts\":".getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = 0; value != null && i + key.length < Math.min(value.length, 512); i++) {
                for (int k = 0; k < key.length; k++) {
                    if (value[i + k] != key[k]) {
                        continue outer;
                    }
                }
                long ts = 0;
                for (int j = i + key.length; j < value.length && value[j] >= '0' && value[j] <= '9'; j++) {
                    ts = ts * 10 + (value[j] - '0');
                }
                return ts;
            }
            return -1;
        }

        /** Producer side (record ts - envelope ts) and broker to a plain consumer (received - record ts). */
        Summary[] split(long from, long to) {
            List<long[]> in = seen.stream().filter(d -> d[0] >= from && d[0] < to).toList();
            return new Summary[]{Summary.of(in.stream().mapToLong(d -> d[2] - d[1]).toArray()),
                    Summary.of(in.stream().mapToLong(d -> d[0] - d[2]).toArray()),
                    Summary.of(in.stream().mapToLong(d -> d[0] - d[1]).toArray())};
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }
    }

    /** Staleness every 100 ms and committed offsets behind every second, on their own threads. */
    static final class Sampler implements AutoCloseable {
        private final Admin admin;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long from = Long.MAX_VALUE;
        private volatile long maxStalenessMs;
        private volatile double maxBehind;

        /** Every second: wall ms, ticks so far, ms spent in ticks so far. */
        private final Queue<long[]> ticks = new ConcurrentLinkedQueue<>();

        Sampler(KafkaSettings kafka, String group, String topic, Observed seen, io.micrometer.core.instrument.Timer tick) {
            admin = Admin.create(new HashMap<>(kafka.admin("bench-sampler")));
            List<TopicPartition> tps = partitions(kafka.topics(), topic);
            thread = new Thread(() -> {
                long nextOffsets = 0;
                while (running) {
                    long now = System.currentTimeMillis();
                    if (now >= from && seen.newestTs.get() > 0) {
                        maxStalenessMs = Math.max(maxStalenessMs, now - seen.newestTs.get());
                    }
                    if (now >= nextOffsets) {
                        ticks.add(new long[]{now, tick.count(), (long) tick.totalTime(TimeUnit.MILLISECONDS)});
                    }
                    if (now >= nextOffsets && now >= from) {
                        try {
                            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                            tps.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                            var ends = admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
                            if (tps.stream().allMatch(committed::containsKey)) {
                                long behind = 0;
                                for (TopicPartition tp : tps) {
                                    behind += ends.get(tp).offset() - committed.get(tp).offset();
                                }
                                maxBehind = Math.max(maxBehind, behind);
                            }
                        } catch (Exception e) {
                            // A missed sample; the next one comes in a second.
                        }
                    }
                    if (now >= nextOffsets) {
                        nextOffsets = now + 1000;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void windowFrom(long ms) {
            from = ms;
        }

        /** Tick time per second between two instants: mean ms per tick, and the largest one-second total. */
        double[] ticks(long fromMs, long toMs) {
            List<long[]> in = ticks.stream().filter(t -> t[0] >= fromMs && t[0] <= toMs).toList();
            if (in.size() < 2) {
                return new double[]{-1, -1};
            }
            long count = in.get(in.size() - 1)[1] - in.get(0)[1];
            long ms = in.get(in.size() - 1)[2] - in.get(0)[2];
            long worst = 0;
            for (int i = 1; i < in.size(); i++) {
                worst = Math.max(worst, in.get(i)[2] - in.get(i - 1)[2]);
            }
            return new double[]{count == 0 ? -1 : ms / (double) count, worst};
        }

        String perSecond(long t0) {
            StringBuilder b = new StringBuilder("second,ticks,tick_ms\n");
            long[] prev = null;
            for (long[] t : ticks) {
                if (prev != null) {
                    b.append((t[0] - t0) / 1000).append(',').append(t[1] - prev[1]).append(',').append(t[2] - prev[2]).append('\n');
                }
                prev = t;
            }
            return b.toString();
        }

        long maxStalenessMs() {
            return maxStalenessMs;
        }

        double maxBehind() {
            return maxBehind;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
            admin.close();
        }
    }

    /** Every partition of {@code topic} as agents and balancers create it ({@link Topics.Layout#defaults()}). */
    static List<TopicPartition> partitions(Topics topics, String topic) {
        int n = topics.shared().stream().filter(s -> s.name().equals(topic)).mapToInt(Topics.Spec::partitions)
                .findFirst().orElse(1);
        return java.util.stream.IntStream.range(0, n).mapToObj(p -> new TopicPartition(topic, p)).toList();
    }

    /** Reads topics from their beginning on a background thread. */
    static final class Tap implements AutoCloseable {
        private final List<Envelope> seen = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        Tap(KafkaSettings kafka, List<String> topics) {
            Map<String, Object> props = new HashMap<>(kafka.consumer("bench-tap", "bench-tap"));
            props.put("isolation.level", "read_uncommitted");
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props);
            List<TopicPartition> partitions = topics.stream().flatMap(t -> partitions(kafka.topics(), t).stream()).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            thread = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            if (r.value() != null && CODEC.decode(r.value()) instanceof Decoded.Ok ok) {
                                seen.add(ok.envelope());
                            }
                        }
                    }
                }
            }, "bench-tap");
            thread.setDaemon(true);
            thread.start();
        }

        Envelope firstMigrate(String host) {
            return seen.stream().filter(e -> e.body() instanceof Migrate m && m.source().equals(host)).findFirst().orElse(null);
        }

        Envelope result(String commandId, ResultStatus status) {
            Predicate<Envelope> match = e -> e.body() instanceof CommandResult r && r.commandId().equals(commandId)
                    && r.status() == status;
            return seen.stream().filter(match).findFirst().orElse(null);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }
    }

    /** One child JVM running {@code vbal agent --driver simulated --host-count …}. */
    static final class Fleet {
        final int index;
        final int count;
        final List<String> command;
        final String overload;
        final Process process;
        final long launchedAt;
        private final VbalProcess vbal;

        private Fleet(int index, int count, String overload, VbalProcess vbal) {
            this.index = index;
            this.count = count;
            this.overload = overload;
            this.vbal = vbal;
            this.command = vbal.command();
            this.process = vbal.process();
            this.launchedAt = vbal.launchedAt();
        }

        /** When it printed that its agents run; 0 until then. */
        long runningAt() {
            VbalProcess.Line l = vbal.firstLine("agents for ");
            return l == null ? 0 : l.at();
        }

        String runningLine() {
            VbalProcess.Line l = vbal.firstLine("agents for ");
            return l == null ? "" : l.text();
        }

        /** When it printed that its host is overloaded; 0 until then. */
        long overloadAt() {
            VbalProcess.Line l = vbal.firstLine("overload: ");
            return l == null ? 0 : l.at();
        }

        String output() {
            return vbal.output();
        }

        static Fleet start(int index, int first, int count, int guestsPerHost, KafkaSettings kafka, Path state, String heap,
                           String overload, Path log) throws IOException {
            List<String> args = new ArrayList<>(List.of("agent", "--driver", "simulated", "--metrics-port", "0", "--host-count", String.valueOf(count),
                    "--host-prefix", PREFIX, "--first-host-number", String.valueOf(first), "--guests-per-host",
                    String.valueOf(guestsPerHost), "--interval", "10s", "--bootstrap", kafka.bootstrapServers(), "--prefix",
                    kafka.topics().prefix(), "--state-dir", state.toString()));
            if (overload != null) {
                args.addAll(List.of("--overload", overload));
            }
            return new Fleet(index, count, overload, VbalProcess.start("fleet-" + index, List.of("-Xmx" + heap), log, args));
        }

        void stop() {
            vbal.stop();
        }
    }

    /** CPU time, resident memory and threads of processes, from /proc. */
    record Usage(long wallNanos, double cpuSeconds, long rssMiB, int threads) {
        static Usage of(List<Fleet> fleets) throws IOException {
            double cpu = 0;
            long rss = 0;
            int threads = 0;
            for (Fleet f : fleets) {
                Usage u = proc(f.process.pid());
                cpu += u.cpuSeconds();
                rss += u.rssMiB();
                threads += u.threads();
            }
            return new Usage(System.nanoTime(), cpu, rss, threads);
        }

        static Usage self() throws IOException {
            Usage u = proc(ProcessHandle.current().pid());
            return new Usage(System.nanoTime(), ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
                    .getProcessCpuTime() / 1e9, u.rssMiB(), u.threads());
        }

        private static Usage proc(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime + stime, in clock ticks of 10 ms
            long rss = 0;
            int threads = 0;
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                if (line.startsWith("Threads:")) threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
            return new Usage(System.nanoTime(), cpu, rss, threads);
        }

        String since(Usage before) {
            double wall = (wallNanos - before.wallNanos) / 1e9;
            return String.format(Locale.ROOT, "%.2f cores on average, RSS %d MiB, %d threads", (cpuSeconds - before.cpuSeconds) / wall,
                    rssMiB, threads);
        }
    }
}
