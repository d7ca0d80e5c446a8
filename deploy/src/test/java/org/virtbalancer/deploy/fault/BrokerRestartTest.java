package org.virtbalancer.deploy.fault;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.cli.VbalProcess;
import org.virtbalancer.deploy.kafka.ChildKafka;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 5's acceptance: the Kafka broker restarted mid-run on the same data directory loses no
 * load sample, command or result, and every process reconnects by itself. Every part is its own
 * JVM, started as an operator starts it: the broker ({@link ChildKafka}), an agent fleet of three
 * simulated hosts sampling every second ({@code vbal agent --driver simulated}) and a balancer
 * ({@code vbal balancer}). This JVM only reads the topics and, once, writes an EnterMaintenance as
 * an operator would.
 *
 * <p>Two outages, each with commands in flight and samples, progress and results produced while no
 * broker runs: a clean stop (SIGTERM) right after the balancer's first command relieving an
 * overloaded host, and a crash (SIGKILL) right after the first command of a maintenance drain.
 * Each time the test waits until the clients have noticed (their logs say the broker cannot be
 * reached) before it starts the broker again.
 *
 * <p>A lost sample shows twice: each host samples every 2 s on a fixed-rate timer, so its samples on
 * {@code vb.host-load}, by the time the agent stamped them, must follow each other within 1.5
 * intervals across both outages (a lost one leaves a gap of two), and there must be exactly one
 * per interval from its first to its last (which timer jitter cannot blur). A duplicate (a retry
 * written twice) shows as an envelope id seen twice. Logs of every process and a report stay in
 * {@code deploy/target/broker-restart/run-*}.
 */
class BrokerRestartTest {
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final List<String> HOSTS = List.of("h1", "h2", "h3");
    /** What Kafka's clients log (WARN) when they try to reach a broker that is not there. */
    private static final String CANNOT_CONNECT = "could not be established";
    private static final Codec CODEC = new Codec();
    /** Agent and balancer JVMs: the client JIT only, as for the broker: they start in a fraction of the CPU time. */
    private static final List<String> CLIENT_JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    /** One broker outage, in epoch ms: stop asked, broker gone, clients noticed (and start asked), broker ready. */
    record Outage(String how, long stopAt, long stoppedAt, long noticedAt, long readyAt) {
        long stopMs() {
            return stoppedAt - stopAt;
        }

        long startMs() {
            return readyAt - noticedAt;
        }

        /** Whether an agent or balancer stamped {@code ts} while the broker could not take it. */
        boolean during(long ts) {
            return ts > stoppedAt && ts < readyAt;
        }
    }

    @Test
    void noSampleCommandOrResultIsLostAndEveryProcessCarriesOnAcrossACleanRestartAndACrash() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "broker-restart").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        long began = System.currentTimeMillis();
        try (ChildKafka broker = ChildKafka.create(run.resolve("kafka"), true, classpath, ChildKafka.DEFAULT_JVM_OPTIONS)) {
            Duration coldStart = broker.start();
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            Topics topics = kafka.topics();
            Outage clean;
            Outage crash;
            String drained;
            List<TopicTap.Seen> live;
            String startup;
            try (TopicTap tap = new TopicTap(kafka);
                 VbalProcess fleet = VbalProcess.start("fleet", CLIENT_JVM, run.resolve("fleet.log"), List.of("agent",
                         "--driver", "simulated", "--metrics-port", "0", "--host-count", "3", "--host-prefix", "h", "--guests-per-host", "6",
                         "--interval", INTERVAL.toSeconds() + "s", "--overload", "h1@6s", "--bootstrap",
                         kafka.bootstrapServers(), "--state-dir", run.resolve("agents").toString()));
                 VbalProcess balancer = VbalProcess.start("balancer", CLIENT_JVM, run.resolve("balancer.log"), List.of("balancer",
                         "--bootstrap", kafka.bootstrapServers(), "--http-port", "-1"))) {
                Supplier<String> diagnosis = () -> fleet.output() + balancer.output() + "logs: " + run;
                within(Duration.ofSeconds(60), () -> (fleet.firstLine("agents for ") != null
                        && balancer.firstLine("balancer ") != null) || !fleet.isAlive() || !balancer.isAlive(), diagnosis);
                assertTrue(fleet.isAlive() && balancer.isAlive(), diagnosis);
                startup = String.format(Locale.ROOT, "agent fleet running %.1f s after launch, balancer %.1f s%n",
                        (fleet.firstLine("agents for ").at() - fleet.launchedAt()) / 1000.0,
                        (balancer.firstLine("balancer ").at() - balancer.launchedAt()) / 1000.0);

                // 1. Clean stop with the relief of the overloaded h1 under way.
                awaitCommand(tap, m -> m.source().equals("h1"), 0, diagnosis);
                clean = outage(broker, false, fleet, balancer);
                awaitCarryingOn(tap, clean, diagnosis);

                // 2. Crash with a maintenance drain under way.
                drained = hostWithMostGuests(tap);
                long asked = System.currentTimeMillis();
                enterMaintenance(kafka, drained);
                awaitCommand(tap, m -> m.source().equals(drained), asked, diagnosis);
                crash = outage(broker, true, fleet, balancer);
                awaitCarryingOn(tap, crash, diagnosis);
                // The balancer issues new commands after the restart (the rest of the drain) and the agents run them.
                within(Duration.ofSeconds(90), () -> tap.commands().stream().anyMatch(c -> c.ts() > crash.readyAt()
                        && tap.finalResults(c.id()).stream().anyMatch(r -> r.status() == ResultStatus.SUCCEEDED)),
                        () -> "no command issued after the crash succeeded\n" + diagnosis.get());
                assertTrue(fleet.isAlive() && balancer.isAlive(), diagnosis);

                // No new commands from here on: every one issued must end with its final result.
                balancer.stop();
                within(Duration.ofSeconds(90), () -> tap.commands().stream().allMatch(c -> !tap.finalResults(c.id()).isEmpty()),
                        () -> "commands without a final result\n" + diagnosis.get());
                fleet.stop();
                live = tap.all();
            }
            List<TopicTap.Seen> all = TopicTap.readAll(kafka);
            String report = report(all, live, topics, coldStart, clean, crash, drained, began) + startup;
            System.out.print(report);
            Files.writeString(run.resolve("report.txt"), report);
            assertNothingLost(all, topics, List.of(clean, crash), report + "logs: " + run);
        }
    }

    private static Outage outage(ChildKafka broker, boolean crash, VbalProcess... clients) {
        Map<VbalProcess, Long> before = new HashMap<>();
        for (VbalProcess c : clients) {
            before.put(c, c.logCount(CANNOT_CONNECT));
        }
        long stopAt = System.currentTimeMillis();
        if (crash) {
            broker.kill();
        } else {
            broker.stop();
        }
        long stoppedAt = System.currentTimeMillis();
        within(Duration.ofSeconds(60), () -> before.entrySet().stream().allMatch(e -> e.getKey().logCount(CANNOT_CONNECT) > e.getValue()),
                () -> "the clients did not log that they cannot reach the broker (" + CANNOT_CONNECT + ")");
        long noticedAt = System.currentTimeMillis();
        broker.start();
        return new Outage(crash ? "crash (SIGKILL)" : "clean stop (SIGTERM)", stopAt, stoppedAt, noticedAt,
                System.currentTimeMillis());
    }

    /** New samples from every host, and a final result for every command issued until the broker was back. */
    private static void awaitCarryingOn(TopicTap tap, Outage outage, Supplier<String> diagnosis) {
        within(Duration.ofSeconds(60), () -> HOSTS.stream().allMatch(h -> tap.samples(h).stream().anyMatch(e -> e.ts() > outage.readyAt())),
                () -> "not every host sent samples after the " + outage.how() + "\n" + diagnosis.get());
        within(Duration.ofSeconds(90), () -> tap.commands().stream().filter(c -> c.ts() <= outage.readyAt())
                        .allMatch(c -> !tap.finalResults(c.id()).isEmpty()),
                () -> "commands issued before the end of the " + outage.how() + " got no final result\n" + diagnosis.get());
    }

    private static void awaitCommand(TopicTap tap, Predicate<Migrate> which, long after, Supplier<String> diagnosis) {
        within(Duration.ofSeconds(90), () -> tap.commands().stream()
                .anyMatch(c -> c.ts() >= after && c.body() instanceof Migrate m && which.test(m)),
                () -> "the balancer issued no expected command\n" + diagnosis.get());
    }

    /** Waits for {@code condition}; fails with {@code diagnosis} when it does not hold in time. */
    static void within(Duration atMost, Callable<Boolean> condition, Supplier<String> diagnosis) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(condition);
        } catch (ConditionTimeoutException e) {
            fail(e.getMessage() + ": " + diagnosis.get());
        }
    }

    /** The host with the most guests in its latest inventory: a drain of several rounds (two moves at a time per source). */
    private static String hostWithMostGuests(TopicTap tap) {
        Map<String, Integer> guests = new HashMap<>();
        tap.all().stream().filter(s -> s.envelope() != null && s.envelope().body() instanceof Inventory)
                .forEach(s -> {
                    Inventory inv = (Inventory) s.envelope().body();
                    guests.put(inv.facts().host(), inv.guests().size());
                });
        return guests.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private static void enterMaintenance(KafkaSettings kafka, String host) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new HashMap<>(kafka.producer("operator")))) {
            Envelope env = Envelope.of("operator:broker-restart-test", new EnterMaintenance(host, "broker restart test"),
                    System.currentTimeMillis());
            producer.send(new ProducerRecord<>(kafka.topics().control(), host, CODEC.encode(env))).get(30, TimeUnit.SECONDS);
        }
    }

    private static void assertNothingLost(List<TopicTap.Seen> all, Topics topics, List<Outage> outages, String report) {
        // Written once each: a retried send that reached the log twice would repeat its envelope id.
        Map<String, Long> ids = all.stream().filter(s -> s.envelope() != null)
                .collect(Collectors.groupingBy(s -> s.envelope().id(), Collectors.counting()));
        List<String> twice = ids.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        assertEquals(List.of(), twice, () -> "messages written twice\n" + report);

        // No sample lost: per host, no gap of more than 1.5 intervals from its first sample to its last.
        for (String host : HOSTS) {
            List<Long> ts = all.stream().filter(s -> s.topic().equals(topics.hostLoad()) && s.envelope() != null
                    && s.envelope().body() instanceof HostLoad l && l.host().equals(host)).map(s -> s.envelope().ts()).sorted().toList();
            assertFalse(ts.isEmpty(), host + " sent no sample\n" + report);
            long maxGap = maxGap(ts);
            assertTrue(maxGap <= INTERVAL.toMillis() * 3 / 2, () -> host + "'s samples have a gap of " + maxGap + " ms\n" + report);
            long intervals = Math.round((ts.get(ts.size() - 1) - ts.get(0)) / (double) INTERVAL.toMillis());
            assertEquals(intervals + 1, ts.size(), () -> host + " sent samples over " + intervals + " intervals\n" + report);
            for (Outage o : outages) {
                assertTrue(ts.stream().anyMatch(o::during),
                        () -> host + " sent no sample during the " + o.how() + "\n" + report);
            }
        }

        // Every command, including those issued around the outages, has exactly one final result.
        List<Envelope> commands = commands(all, topics);
        Map<String, List<CommandResult>> finals = finalResults(all, topics);
        for (Envelope c : commands) {
            assertEquals(1, finals.getOrDefault(c.id(), List.of()).size(),
                    () -> "command " + c.id() + " (" + c.body() + ") has final results " + finals.get(c.id()) + "\n" + report);
        }
        for (Outage o : outages) {
            assertTrue(commands.stream().anyMatch(c -> c.ts() > o.stoppedAt() - 10_000 && c.ts() < o.readyAt() + 10_000),
                    () -> "no command was issued around the " + o.how() + "\n" + report);
        }
    }

    private static List<Envelope> commands(List<TopicTap.Seen> all, Topics topics) {
        return all.stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null
                && (s.envelope().body() instanceof Migrate || s.envelope().body() instanceof Abort)).map(TopicTap.Seen::envelope).toList();
    }

    private static Map<String, List<CommandResult>> finalResults(List<TopicTap.Seen> all, Topics topics) {
        return all.stream().filter(s -> s.topic().equals(topics.commandResults()) && s.envelope() != null
                        && s.envelope().body() instanceof CommandResult r && r.status().isFinal())
                .map(s -> (CommandResult) s.envelope().body())
                .collect(Collectors.groupingBy(CommandResult::commandId, LinkedHashMap::new, Collectors.toList()));
    }

    private static long maxGap(List<Long> sorted) {
        long max = 0;
        for (int i = 1; i < sorted.size(); i++) {
            max = Math.max(max, sorted.get(i) - sorted.get(i - 1));
        }
        return max;
    }

    /**
     * @param all  every record, read after the run
     * @param live the same as the test's consumer read them during the run, with when it did
     */
    private static String report(List<TopicTap.Seen> all, List<TopicTap.Seen> live, Topics topics, Duration coldStart,
                                 Outage clean, Outage crash, String drained, long began) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "broker restart test, %.1f s until the last process stopped; broker cold start %d ms%n",
                (System.currentTimeMillis() - began) / 1000.0, coldStart.toMillis()));
        List<TopicTap.Seen> results = all.stream().filter(s -> s.topic().equals(topics.commandResults()) && s.envelope() != null).toList();
        for (Outage o : List.of(clean, crash)) {
            long samples = all.stream().filter(s -> s.topic().equals(topics.hostLoad()) && s.envelope() != null
                    && o.during(s.envelope().ts())).count();
            long during = results.stream().filter(s -> o.during(s.envelope().ts())).count();
            long finals = results.stream().filter(s -> o.during(s.envelope().ts())
                    && ((CommandResult) s.envelope().body()).status().isFinal()).count();
            long around = commands(all, topics).stream().filter(c -> c.ts() > o.stoppedAt() - 10_000 && c.ts() < o.readyAt() + 10_000).count();
            b.append(String.format(Locale.ROOT, "%s: stop %d ms; clients noticed %d ms later; start %d ms; broker away %.1f s;"
                            + " written meanwhile and kept: %d samples, %d results (%d final); %d commands within 10 s of it%n",
                    o.how(), o.stopMs(), o.noticedAt() - o.stoppedAt(), o.startMs(), (o.readyAt() - o.stopAt()) / 1000.0,
                    samples, during, finals, around));
            // Producing again: the first record each process sent while the broker was away, read by this JVM's consumer.
            for (String who : List.of("agent:", "balancer:")) {
                live.stream().filter(s -> s.envelope() != null && s.envelope().source().startsWith(who) && o.during(s.envelope().ts()))
                        .mapToLong(TopicTap.Seen::seenAt).min().ifPresent(first -> b.append(String.format(Locale.ROOT,
                                "  first record %s sent during it read by the test %d ms after the broker was ready%n", who + "*",
                                first - o.readyAt())));
            }
        }
        for (String host : HOSTS) {
            List<Long> ts = all.stream().filter(s -> s.topic().equals(topics.hostLoad()) && s.envelope() != null
                    && s.envelope().body() instanceof HostLoad l && l.host().equals(host)).map(s -> s.envelope().ts()).sorted().toList();
            List<Long> gaps = new java.util.ArrayList<>();
            for (int i = 1; i < ts.size(); i++) {
                gaps.add(ts.get(i) - ts.get(i - 1));
            }
            gaps.sort(null);
            b.append(String.format(Locale.ROOT, "%s: %d samples, gaps between them min %d / median %d / max %d ms%n", host,
                    ts.size(), gaps.isEmpty() ? 0 : gaps.get(0), gaps.isEmpty() ? 0 : gaps.get(gaps.size() / 2), maxGap(ts)));
        }
        List<Envelope> commands = commands(all, topics);
        Map<String, List<CommandResult>> finals = finalResults(all, topics);
        Map<ResultStatus, Long> outcomes = commands.stream().map(c -> finals.getOrDefault(c.id(), List.of()))
                .filter(l -> !l.isEmpty()).collect(Collectors.groupingBy(l -> l.get(0).status(), Collectors.counting()));
        b.append(String.format(Locale.ROOT, "commands: %d (%d after the crash), drained host %s; first final results %s%n",
                commands.size(), commands.stream().filter(c -> c.ts() > crash.readyAt()).count(), drained, outcomes));
        commands.stream().sorted(Comparator.comparingLong(Envelope::ts)).forEach(c -> b.append(String.format(Locale.ROOT,
                "  %+7.1f s %s %s -> %s%n", (c.ts() - began) / 1000.0, c.id(), c.body() instanceof Migrate m
                        ? m.guest() + " " + m.source() + "->" + m.target() : c.body().toString(),
                finals.getOrDefault(c.id(), List.of()).stream().map(r -> r.status().name()).collect(Collectors.joining(",")))));
        b.append(String.format(Locale.ROOT, "outages at %+.1f s and %+.1f s%n", (clean.stoppedAt() - began) / 1000.0,
                (crash.stoppedAt() - began) / 1000.0));
        return b.toString();
    }
}
