package org.virtbalancer.deploy.fault;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.virtbalancer.deploy.cli.VbalProcess;
import org.virtbalancer.deploy.kafka.KafkaCluster;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A fleet on a replicated three-broker KRaft cluster ({@link KafkaCluster}), every part in its own
 * JVM as an operator runs it: four simulated hosts of 30 guests ({@code vbal agent --driver simulated},
 * one process), one balancer ({@code vbal balancer}, its commands written by a transactional producer
 * whose transaction log is replicated 3 times), the topics as
 * {@code vbal topics create --replication-factor 3} makes them. Host 1 is overloaded from the start,
 * so its relief runs while a test drains another host; {@link #drain} and {@link #fault} are the
 * steps a fault test takes, {@link FaultVerdict#of} what the topics say afterwards. Logs in {@code run}.
 */
final class ReplicatedFleet implements AutoCloseable {
    static final int HOSTS = 4;
    static final int GUESTS_PER_HOST = 30;
    static final String PREFIX = "r";
    static final String OVERLOADED = PREFIX + "1";
    static final String DRAINED = PREFIX + "2";
    /** As in BrokerRestartTest: 2 s samples keep the fleet's timer steady on a busy 2-core machine. */
    static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final List<String> CLIENT_JVM = List.of("-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final Codec CODEC = new Codec();

    /** How a fault test shakes the brokers. */
    enum Fault {
        /** SIGKILL the broker leading the drained host's command partition. */
        PARTITION_LEADER_KILL("partition leader SIGKILL"),
        /** SIGKILL the active controller (the KRaft quorum's leader). */
        ACTIVE_CONTROLLER_KILL("active controller SIGKILL"),
        /** Each of the three brokers in turn: SIGTERM, start again, wait until it is ready, then the next. */
        ROLLING_RESTART("rolling restart (SIGTERM) of all three");

        final String label;

        Fault(String label) {
            this.label = label;
        }
    }

    /**
     * What was done to the brokers and when (epoch ms).
     *
     * @param steps one per broker stopped: its id and when it was gone
     */
    record Injected(Fault fault, List<Step> steps, long endedAt) {
        record Step(int node, long goneAt, long readyAt) {}

        long startedAt() {
            return steps.get(0).goneAt();
        }
    }

    final Path run;
    final KafkaCluster cluster;
    final KafkaSettings kafka;
    final Topics topics;
    final List<String> hosts = IntStream.rangeClosed(1, HOSTS).mapToObj(i -> PREFIX + i).toList();
    final TopicTap tap;
    final VbalProcess fleet;
    VbalProcess balancer;

    ReplicatedFleet(String name, double migrationSpeedup) throws Exception {
        run = Files.createDirectories(Path.of("target", name).toAbsolutePath().resolve("run-" + System.currentTimeMillis()));
        cluster = KafkaCluster.create(run.resolve("kafka"), 3);
        try {
            cluster.startAll();
            topics = new Topics("rf" + UUID.randomUUID().toString().substring(0, 8) + ".");
            kafka = KafkaSettings.of(cluster.bootstrapServers()).withTopics(topics);
            ReplicatedTopics.create(kafka, hosts);
            tap = new TopicTap(kafka);
            fleet = VbalProcess.start("fleet", CLIENT_JVM, run.resolve("fleet.log"), List.of("agent",
                    "--driver", "simulated", "--metrics-port", "-1", "--host-count", String.valueOf(HOSTS), "--host-prefix", PREFIX,
                    "--guests-per-host", String.valueOf(GUESTS_PER_HOST), "--host-cpus", "64", "--host-memory-gib", "256",
                    "--migration-speedup", String.valueOf(migrationSpeedup), "--interval", INTERVAL.toSeconds() + "s",
                    "--overload", OVERLOADED + "@10s", "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(),
                    "--state-dir", run.resolve("agents").toString()));
            balancer = VbalProcess.start("balancer", CLIENT_JVM, run.resolve("balancer.log"), List.of("balancer",
                    "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(), "--http-port", "-1", "--tick", "500ms"));
            within(Duration.ofSeconds(120), () -> inventories().size() == HOSTS
                    && inventories().values().stream().allMatch(inv -> inv.guests().size() == GUESTS_PER_HOST)
                    || !fleet.isAlive() || !balancer.isAlive(), "the fleet's inventories");
            if (!fleet.isAlive() || !balancer.isAlive()) {
                fail("a process died at start-up\n" + diagnosis());
            }
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    /** Every guest name of the fleet as it started. */
    Set<String> allGuests() {
        return hosts.stream().flatMap(h -> IntStream.range(0, GUESTS_PER_HOST).mapToObj(i -> h + "-vm-" + i))
                .collect(Collectors.toSet());
    }

    /**
     * Waits until the balancer relieves the overloaded host, then puts {@link #DRAINED} into maintenance
     * and waits until two of its guests have moved: the drain is under way.
     *
     * @return when the maintenance was asked for
     */
    long drain() throws Exception {
        within(Duration.ofSeconds(120), () -> tap.commands().stream().anyMatch(c -> c.body() instanceof Migrate m
                && m.source().equals(OVERLOADED)), "the overloaded host's relief");
        long asked = System.currentTimeMillis();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new HashMap<>(kafka.producer("operator")))) {
            Envelope env = Envelope.of("operator:replicated-fault-test", new EnterMaintenance(DRAINED, "replicated Kafka fault"),
                    System.currentTimeMillis());
            producer.send(new ProducerRecord<>(topics.control(), DRAINED, CODEC.encode(env))).get(60, TimeUnit.SECONDS);
        }
        within(Duration.ofSeconds(120), () -> drainCommands(asked).stream().filter(c ->
                tap.finalResults(c.id()).stream().anyMatch(r -> r.status() == ResultStatus.SUCCEEDED)).count() >= 2,
                "two guests of " + DRAINED + " moved");
        return asked;
    }

    /** Migrate commands off the drained host issued since {@code since}. */
    List<Envelope> drainCommands(long since) {
        return tap.commands().stream().filter(c -> c.ts() >= since && c.body() instanceof Migrate m
                && m.source().equals(DRAINED)).toList();
    }

    /** Shakes the brokers as {@code fault} says; returns once the fault is over (a rolling restart's last node ready). */
    Injected fault(Fault fault) {
        List<Injected.Step> steps = new java.util.ArrayList<>();
        switch (fault) {
            case PARTITION_LEADER_KILL -> steps.add(kill(cluster.leaderOf(topics.commands(DRAINED), 0)));
            case ACTIVE_CONTROLLER_KILL -> steps.add(kill(cluster.activeController()));
            case ROLLING_RESTART -> {
                for (int node : cluster.nodeIds()) {
                    cluster.stop(node);
                    long gone = System.currentTimeMillis();
                    cluster.start(node);
                    steps.add(new Injected.Step(node, gone, System.currentTimeMillis()));
                }
            }
        }
        return new Injected(fault, List.copyOf(steps), System.currentTimeMillis());
    }

    private Injected.Step kill(int node) {
        cluster.kill(node);
        return new Injected.Step(node, System.currentTimeMillis(), -1);
    }

    /** When the first command to the drained host issued after {@code at} was read, or empty. */
    Optional<Long> nextDrainCommandSeenAfter(long at) {
        return tap.all().stream().filter(s -> s.topic().equals(topics.commands(DRAINED)) && s.envelope() != null
                && s.envelope().ts() > at && s.envelope().body() instanceof Migrate).map(TopicTap.Seen::seenAt).min(Long::compare);
    }

    /** The latest inventory of each host, as read so far. */
    Map<String, Inventory> inventories() {
        Map<String, Inventory> latest = new LinkedHashMap<>();
        tap.all().stream().filter(s -> s.topic().equals(topics.inventory()) && s.envelope() != null
                && s.envelope().body() instanceof Inventory).forEach(s -> {
                    Inventory inv = (Inventory) s.envelope().body();
                    latest.put(inv.facts().host(), inv);
                });
        return latest;
    }

    Set<String> guestsOn(String host) {
        return Optional.ofNullable(inventories().get(host)).map(inv -> inv.guests().stream().map(GuestDescriptor::name)
                .collect(Collectors.toSet())).orElse(Set.of());
    }

    /**
     * Waits until the drain is over, stops the balancer (no new command from here on), waits until every command
     * has its final result, stops the fleet, and reads every topic whole.
     */
    List<TopicTap.Seen> finish() throws Exception {
        within(Duration.ofSeconds(600), () -> guestsOn(DRAINED).isEmpty(), "the drain of " + DRAINED + " to end");
        balancer.stop();
        within(Duration.ofSeconds(120), () -> tap.commands().stream().allMatch(c -> !tap.finalResults(c.id()).isEmpty()),
                "a final result for every command");
        fleet.stop();
        return TopicTap.readAll(kafka);
    }

    String diagnosis() {
        return fleet.output() + balancer.output() + "logs: " + run;
    }

    void within(Duration atMost, Callable<Boolean> condition, String what) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(condition);
        } catch (ConditionTimeoutException e) {
            fail("waited " + atMost.toSeconds() + " s for " + what + "\n" + diagnosis());
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (balancer != null) {
                balancer.close();
            }
            if (fleet != null) {
                fleet.close();
            }
            if (tap != null) {
                tap.close();
            }
        } finally {
            cluster.close();
        }
    }
}
