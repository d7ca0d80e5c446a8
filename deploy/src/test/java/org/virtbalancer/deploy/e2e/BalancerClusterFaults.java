package org.virtbalancer.deploy.e2e;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three balancers, each in its own JVM, elect a leader over Hazelcast; one agent JVM runs five
 * simulated hosts of 30 guests. What the fault tests of the balancer cluster share
 * ({@link LeaderKilledTest}, {@link LeaderFailoverTest}): the processes, and what the topics say.
 * The tests read Kafka as agents do ({@code read_committed}). Two classes, so that the ten kills
 * and the other faults run in two test JVMs at once.
 */
@ExtendWith(Broker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BalancerClusterFaults {
    static final int HOSTS = 5;
    static final int GUESTS_PER_HOST = 30;
    static final Duration FAILOVER_LIMIT = Duration.ofSeconds(10);
    /** Iterations of the kill test: 10 by the acceptance; -Dfailover.iterations=N to change. */
    static final int ITERATIONS = Integer.getInteger("failover.iterations", 10);

    final Codec codec = new Codec();
    @TempDir
    static Path dir;
    KafkaSettings kafka;
    Topics topics;
    TopicTap tap;
    KafkaProducer<String, byte[]> producer;
    Child agents;
    final Map<String, Child> balancers = new TreeMap<>();
    final Map<String, Integer> ports = new TreeMap<>();
    final Map<String, String> outbound = new TreeMap<>();
    final Map<String, Path> logs = new TreeMap<>();
    String members;

    @BeforeAll
    void start(EmbeddedKafka broker) throws Exception {
        topics = new Topics("lf" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        tap = new TopicTap(kafka, true);
        producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-operator")));
        agents = Child.vbal("agents", dir.resolve("agents.log"), "384m", "agent", "--driver", "simulated", "--metrics-port", "0",
                "--host-count", String.valueOf(HOSTS), "--host-prefix", "lf", "--first-host-number", "1",
                "--guests-per-host", String.valueOf(GUESTS_PER_HOST), "--host-cpus", "64", "--host-memory-gib", "256",
                "--migration-speedup", "20", "--interval", "1s", "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(),
                "--state-dir", dir.resolve("agent-state").toString());
        for (String id : List.of("b1", "b2", "b3")) {
            ports.put(id, Child.freePort());
            outbound.put(id, Child.freeRange(8));
        }
        members = ports.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        for (String id : ports.keySet()) {
            startBalancer(id);
        }
        long t0 = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(90)).until(() -> inventories().size() == HOSTS && leader().isPresent());
        awaitFullCluster();
        System.out.printf("agents and balancers up, leader %s, in %d ms%n", leader().orElseThrow().balancer(),
                System.currentTimeMillis() - t0);
    }

    void startBalancer(String id) throws Exception {
        Path dirOfLogs = Files.createDirectories(Path.of("target", "leader-failover-logs", topics.prefix()));
        Path log = dirOfLogs.resolve(id + "-" + System.currentTimeMillis() + ".log");
        logs.put(id, log);
        balancers.put(id, Child.vbal(id, log, "256m", "balancer", "--id", id,
                "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(), "--members", members,
                "--cluster-port", String.valueOf(ports.get(id)), "--cluster-outbound-ports", outbound.get(id),
                "--http-port", "-1", "--tick", "250ms",
                // Only the evacuation moves guests, so every move in the test is one the drain asked for.
                "--target-imbalance", "0"));
    }

    /** Each test starts with three running balancers, one of them leading, and no host in maintenance. */
    @BeforeEach
    void healthy() throws Exception {
        for (Map.Entry<String, Child> b : balancers.entrySet()) {
            if (!b.getValue().process.isAlive()) {
                startBalancer(b.getKey());
            }
        }
        awaitFullCluster();
    }

    /**
     * Until every balancer sees all three in its cluster, has read its state from Kafka, and one of them leads.
     * A balancer still reading its state may be the one Hazelcast names to lead next (the oldest member), and
     * then leads only once it has read it: the fault tests start from a cluster that is ready.
     */
    void awaitFullCluster() {
        await().atMost(Duration.ofSeconds(60)).until(() -> leader().isPresent() && balancers.keySet().stream()
                .allMatch(id -> balancers.get(id).process.isAlive() && lastMembership(id).startsWith("3 of 3")
                        && hasReadItsState(id)));
    }

    private boolean hasReadItsState(String id) {
        try {
            return Files.exists(logs.get(id)) && new String(Files.readAllBytes(logs.get(id)),
                    java.nio.charset.StandardCharsets.UTF_8).contains("has read its state from Kafka");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    String lastMembership(String id) {
        String marker = "balancer " + id + " membership: ";
        String last = "";
        if (Files.exists(logs.get(id))) {
            List<String> lines;
            try {
                lines = Files.readAllLines(logs.get(id));
            } catch (java.io.IOException e) {
                return "";
            }
            for (String line : lines) {
                int at = line.indexOf(marker);
                if (at >= 0) {
                    last = line.substring(at + marker.length());
                }
            }
        }
        return last;
    }

    /** The host with the most guests now. */
    String busiest() {
        return inventories().entrySet().stream().max((a, b) -> Integer.compare(a.getValue().guests().size(),
                b.getValue().guests().size())).orElseThrow().getKey();
    }

    @AfterAll
    void stop() throws Exception {
        for (Child c : balancers.values()) {
            c.close();
        }
        if (agents != null) agents.close();
        if (tap != null) tap.close();
        if (producer != null) producer.close();
    }

    // --- what the topics say -------------------------------------------------------------------

    Envelope leaderEnvelope(LeaderEpoch epoch) {
        return tap.envelopes(topics.leader(), LeaderEpoch.class).filter(e -> e.body().equals(epoch)).findFirst().orElseThrow();
    }

    void control(String host, Message m) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), host, codec.encode(Envelope.of("operator:test", m,
                System.currentTimeMillis())))).get();
    }

    Optional<LeaderEpoch> leader() {
        return tap.bodies(topics.leader(), LeaderEpoch.class).stream().max((a, b) -> Long.compare(a.epoch(), b.epoch()));
    }

    List<Envelope> committedCommands() {
        return tap.all().stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null)
                .map(TopicTap.Seen::envelope).toList();
    }

    /** When the first command of a leader newer than {@code epoch} was seen; empty if none yet. */
    Optional<Long> firstCommandAfter(long epoch) {
        return tap.all().stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null)
                .filter(s -> s.envelope().epoch() > epoch).map(TopicTap.Seen::seenAt).min(Long::compare);
    }

    /** Migrate commands per guest off {@code host} sent since {@code since}. */
    Map<String, Long> commandsPerGuest(String host, long since) {
        return committedCommands().stream()
                .filter(e -> e.ts() >= since && e.body() instanceof Migrate m && m.source().equals(host))
                .collect(Collectors.groupingBy(e -> ((Migrate) e.body()).guest(), Collectors.counting()));
    }

    /** Every committed command for {@code guest} since {@code since}, with its leader's epoch and each result, for failures. */
    String history(String guest, long since) {
        StringBuilder b = new StringBuilder("\n  what the topics say of " + guest + ":");
        for (Envelope e : committedCommands()) {
            if (e.ts() >= since && e.body() instanceof Migrate m && m.guest().equals(guest)) {
                b.append("\n  command ").append(e.id()).append(" epoch ").append(e.epoch()).append(" ts ").append(e.ts())
                        .append(' ').append(m.source()).append(" -> ").append(m.target());
                for (CommandResult r : results()) {
                    if (r.commandId().equals(e.id())) {
                        b.append("\n    ").append(r.status()).append(' ').append(r.host()).append(' ').append(r.reason());
                    }
                }
            }
        }
        return b.toString();
    }

    List<CommandResult> results() {
        return tap.bodies(topics.commandResults(), CommandResult.class);
    }

    boolean resultSeenAfter(CommandResult r, long at) {
        return tap.all().stream().anyMatch(s -> s.envelope() != null && s.envelope().body() == r && s.seenAt() >= at);
    }

    /** Guests that moved off {@code host} for commands sent since {@code since}, with how often. */
    Map<String, Long> succeededFrom(String host, long since) {
        Set<String> ids = committedCommands().stream()
                .filter(e -> e.ts() >= since && e.body() instanceof Migrate m && m.source().equals(host))
                .map(Envelope::id).collect(Collectors.toSet());
        return results().stream().filter(r -> r.status() == ResultStatus.SUCCEEDED && ids.contains(r.commandId()))
                .collect(Collectors.groupingBy(CommandResult::guest, Collectors.counting()));
    }

    Map<String, Inventory> inventories() {
        Map<String, Inventory> latest = new LinkedHashMap<>();
        tap.bodies(topics.inventory(), Inventory.class).forEach(inv -> latest.put(inv.facts().host(), inv));
        return latest;
    }

    Set<String> guestsOn(String host) {
        return Optional.ofNullable(inventories().get(host)).map(inv -> inv.guests().stream().map(GuestDescriptor::name)
                .collect(Collectors.toSet())).orElse(Set.of());
    }

    void everyGuestOnExactlyOneHost() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, List<String>> where = new TreeMap<>();
            inventories().forEach((h, inv) -> inv.guests().forEach(g -> where.computeIfAbsent(g.name(), x -> new ArrayList<>()).add(h)));
            Set<String> all = IntStream.rangeClosed(1, HOSTS).boxed()
                    .flatMap(h -> IntStream.range(0, GUESTS_PER_HOST).mapToObj(i -> "lf" + h + "-vm-" + i))
                    .collect(Collectors.toSet());
            assertEquals(all, where.keySet(), "no guest lost, none invented");
            where.forEach((g, hosts) -> assertEquals(1, hosts.size(), g + " is defined on " + hosts));
        });
    }

    void noCommandRanTwice() {
        Map<String, Long> accepted = results().stream().filter(r -> r.status() == ResultStatus.ACCEPTED)
                .collect(Collectors.groupingBy(CommandResult::commandId, Collectors.counting()));
        accepted.forEach((id, n) -> assertEquals(1, n, "command " + id + " was accepted " + n + " times"));
    }
}
