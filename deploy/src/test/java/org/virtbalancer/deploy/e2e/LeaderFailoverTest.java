package org.virtbalancer.deploy.e2e;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three balancers, each in its own JVM, elect a leader over Hazelcast; one agent JVM runs five
 * simulated hosts of 30 guests. The leader is SIGKILLed in the middle of an evacuation, again and
 * again, or hung with SIGSTOP and resumed: a new leader must take over within 10 s, the drain must
 * finish, no command may run twice, no guest move twice or get lost, and nothing a deposed leader
 * sends may reach an agent. The test reads Kafka as agents do ({@code read_committed}).
 */
@ExtendWith(Broker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaderFailoverTest {
    private static final int HOSTS = 5;
    private static final int GUESTS_PER_HOST = 30;
    private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(10);
    /** Iterations of the kill test: 10 by the acceptance; -Dfailover.iterations=N to change. */
    private static final int ITERATIONS = Integer.getInteger("failover.iterations", 10);

    private final Codec codec = new Codec();
    @TempDir
    static Path dir;
    private KafkaSettings kafka;
    private Topics topics;
    private TopicTap tap;
    private KafkaProducer<String, byte[]> producer;
    private Child agents;
    private final Map<String, Child> balancers = new TreeMap<>();
    private final Map<String, Integer> ports = new TreeMap<>();
    private final Map<String, String> outbound = new TreeMap<>();
    private final Map<String, Path> logs = new TreeMap<>();
    private String members;

    @BeforeAll
    void start(EmbeddedKafka broker) throws Exception {
        topics = new Topics("lf" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        tap = new TopicTap(kafka, true);
        producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-operator")));
        agents = Child.vbal("agents", dir.resolve("agents.log"), "384m", "agent", "--driver", "simulated", "--metrics-port", "0",
                "--host-count", String.valueOf(HOSTS), "--host-prefix", "lf", "--first-host-number", "1",
                "--guests-per-host", String.valueOf(GUESTS_PER_HOST), "--host-cpus", "64", "--host-memory-gib", "256",
                "--migration-speedup", "10", "--interval", "1s", "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(),
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

    private void startBalancer(String id) throws Exception {
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

    /** Until every balancer sees all three in its cluster and one of them leads. */
    private void awaitFullCluster() {
        await().atMost(Duration.ofSeconds(60)).until(() -> leader().isPresent() && balancers.keySet().stream()
                .allMatch(id -> balancers.get(id).process.isAlive() && lastMembership(id).startsWith("3 of 3")));
    }

    private String lastMembership(String id) {
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
    private String busiest() {
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

    @Test
    void aLeaderKilledDuringAnEvacuationIsReplacedAndTheDrainCompletesOnce() throws Exception {
        List<Long> failoverMs = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            String host = busiest();
            LeaderEpoch before = leader().orElseThrow();
            Set<String> guests = guestsOn(host);
            long began = System.currentTimeMillis();
            control(host, new EnterMaintenance(host, "failover test " + i));
            await().atMost(Duration.ofSeconds(60)).until(() -> succeededFrom(host, began).size() >= 4);

            Child dying = balancers.get(before.balancer());
            long killedAt = System.currentTimeMillis();
            dying.kill();
            await().atMost(FAILOVER_LIMIT.plusSeconds(5)).until(() -> firstCommandAfter(before.epoch()).isPresent());
            long failover = firstCommandAfter(before.epoch()).orElseThrow() - killedAt;
            failoverMs.add(failover);
            assertTrue(failover <= FAILOVER_LIMIT.toMillis(), "iteration " + i + ": the new leader's first command came "
                    + failover + " ms after the kill");

            await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
            Map<String, Long> moved = succeededFrom(host, began);
            assertEquals(guests, moved.keySet(), "iteration " + i + ": every guest of " + host + " moved");
            int iteration = i;
            moved.forEach((g, n) -> assertEquals(1, n, "iteration " + iteration + ": " + g + " moved " + n + " times"));
            commandsPerGuest(host, began).forEach((g, n) -> assertEquals(1, n, "iteration " + iteration + ": " + n
                    + " commands to move " + g));
            everyGuestOnExactlyOneHost();

            startBalancer(before.balancer());
            control(host, new ExitMaintenance(host));
            awaitFullCluster();
            System.out.printf("iteration %d: %s drained in %d ms, new leader's first command %d ms after the kill%n", i,
                    host, System.currentTimeMillis() - began, failover);
        }
        noCommandRanTwice();
        failoverMs.sort(null);
        String figures = "leader SIGKILLed " + ITERATIONS + " times during an evacuation: first command of the new leader "
                + failoverMs.get(failoverMs.size() / 2) + " ms (median), " + failoverMs.get(failoverMs.size() - 1)
                + " ms (max) after the kill; all " + failoverMs;
        System.out.println(figures);
        Files.writeString(Path.of("target", "leader-failover.txt"), figures + "\n");
    }

    @Test
    void aHungLeaderThatResumesCannotGetACommandToAnyAgent() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        Child hung = balancers.get(before.balancer());
        long hungAt = System.currentTimeMillis();
        hung.hang();
        await().atMost(FAILOVER_LIMIT).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
        long takeover = System.currentTimeMillis() - hungAt;
        LeaderEpoch after = leader().orElseThrow();
        // While it hangs there is work: the drain the old leader will plan too as soon as it runs again.
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began = System.currentTimeMillis();
        control(host, new EnterMaintenance(host, "hung leader test"));
        await().atMost(Duration.ofSeconds(30)).until(() -> succeededFrom(host, began).size() >= 2);
        hung.resume();
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        // The resumed process stepped down or never led again: it says so in its log, or its commands are nowhere.
        List<Envelope> commands = committedCommands();
        List<Envelope> oldLeaders = commands.stream().filter(e -> e.epoch() <= before.epoch() && e.ts() >= hungAt).toList();
        assertEquals(List.of(), oldLeaders, "commands of the deposed leader reached the agents' topics");
        // Every command an agent accepted is a committed one, and the old leader's were all sent before it hung.
        Map<String, Envelope> byId = commands.stream().collect(Collectors.toMap(Envelope::id, e -> e, (a, b) -> a));
        for (CommandResult r : results()) {
            if (r.status() == ResultStatus.ACCEPTED && resultSeenAfter(r, hungAt)) {
                Envelope command = byId.get(r.commandId());
                assertTrue(command != null, "an agent accepted " + r.commandId() + ", which no leader committed");
                assertTrue(command.epoch() >= after.epoch() || command.ts() < hungAt, "an agent accepted "
                        + r.commandId() + ", sent by the hung leader after it hung");
            }
        }
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet());
        moved.forEach((g, n) -> assertEquals(1, n, g + " moved " + n + " times"));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        assertTrue(takeover <= FAILOVER_LIMIT.toMillis());
        control(host, new ExitMaintenance(host));
        String figures = "leader SIGSTOPped: new leader (epoch " + after.epoch() + ") " + takeover + " ms after the stop";
        System.out.println(figures);
        Files.writeString(Path.of("target", "leader-hang.txt"), figures + "\n");
    }

    @Test
    void aLeaderCutOffFromTheOtherBalancersIsReplacedAndItsCommandsNeverRun() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        String cut = before.balancer();
        long cutAt = System.currentTimeMillis();
        long takeover;
        LeaderEpoch after;
        long afterTs;
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began;
        // Its Hazelcast traffic only: it still reaches Kafka, and would send if it could.
        try (Firewall firewall = Firewall.cut(ports.get(cut), outbound.get(cut))) {
            await().atMost(FAILOVER_LIMIT.plusSeconds(5)).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
            takeover = System.currentTimeMillis() - cutAt;
            after = leader().orElseThrow();
            afterTs = leaderEnvelope(after).ts();
            began = System.currentTimeMillis();
            control(host, new EnterMaintenance(host, "partition test"));
            await().atMost(Duration.ofSeconds(30)).until(() -> succeededFrom(host, began).size() >= 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(logs.get(cut)).contains("steps down"));
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        List<Envelope> late = committedCommands().stream()
                .filter(e -> e.epoch() <= before.epoch() && e.ts() > afterTs).toList();
        assertEquals(List.of(), late, "the cut-off leader's commands reached the agents' topics after the new leader took over");
        Map<String, Envelope> byId = committedCommands().stream().collect(Collectors.toMap(Envelope::id, e -> e, (x, y) -> x));
        for (CommandResult r : results()) {
            if (r.status() == ResultStatus.ACCEPTED && resultSeenAfter(r, afterTs)) {
                Envelope command = byId.get(r.commandId());
                assertTrue(command != null, "an agent accepted " + r.commandId() + ", which no leader committed");
                assertTrue(command.epoch() >= after.epoch() || command.ts() <= afterTs, "an agent accepted "
                        + r.commandId() + ", sent by the cut-off leader after the majority's leader took over");
            }
        }
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet());
        moved.forEach((g, n) -> assertEquals(1, n, g + " moved " + n + " times"));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        assertTrue(takeover <= FAILOVER_LIMIT.toMillis(), "the majority took over " + takeover + " ms after the cut");
        control(host, new ExitMaintenance(host));
        String figures = "leader cut off from the other balancers: the majority's leader (epoch " + after.epoch() + ") "
                + takeover + " ms after the cut";
        System.out.println(figures);
        Files.writeString(Path.of("target", "leader-partition.txt"), figures + "\n");
    }

    @Test
    void aWholeClusterRestartedFromNothingFollowsTheDrainToItsEnd() throws Exception {
        LeaderEpoch before = leader().orElseThrow();
        String host = busiest();
        Set<String> guests = guestsOn(host);
        long began = System.currentTimeMillis();
        control(host, new EnterMaintenance(host, "restart test"));
        await().atMost(Duration.ofSeconds(60)).until(() -> succeededFrom(host, began).size() >= 4);
        for (Child c : balancers.values()) {
            c.kill();
        }
        int movedWhileNoneRan = succeededFrom(host, began).size();
        for (String id : List.copyOf(balancers.keySet())) {
            startBalancer(id);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> leader().map(l -> l.epoch() > before.epoch()).orElse(false));
        await().atMost(Duration.ofSeconds(90)).until(() -> guestsOn(host).isEmpty());
        Map<String, Long> moved = succeededFrom(host, began);
        assertEquals(guests, moved.keySet(), "the restarted cluster finished the drain");
        assertTrue(moved.size() > movedWhileNoneRan, "the drain went on after the restart");
        moved.forEach((g, n) -> assertEquals(1, n, g + " moved " + n + " times"));
        commandsPerGuest(host, began).forEach((g, n) -> assertEquals(1, n, n + " commands to move " + g
                + ": a migration in flight was issued again"));
        noCommandRanTwice();
        everyGuestOnExactlyOneHost();
        control(host, new ExitMaintenance(host));
    }

    /** Drops loopback packets to and from a Hazelcast member's port and its outbound range, until closed. */
    private record Firewall(List<List<String>> rules) implements AutoCloseable {
        static Firewall cut(int port, String outboundRange) throws Exception {
            String range = outboundRange.replace('-', ':');
            List<List<String>> rules = new ArrayList<>();
            for (String ports : List.of(String.valueOf(port), range)) {
                for (String direction : List.of("--dport", "--sport")) {
                    rules.add(List.of("INPUT", "-i", "lo", "-p", "tcp", direction, ports, "-j", "DROP"));
                }
            }
            Firewall f = new Firewall(rules);
            for (List<String> rule : rules) {
                f.iptables("-I", rule);
            }
            return f;
        }

        private void iptables(String action, List<String> rule) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("iptables", action));
            cmd.addAll(rule);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (the partition test needs root and"
                        + " iptables, which deploy/bin/install-prerequisites installs): " + out);
            }
        }

        @Override
        public void close() throws Exception {
            for (List<String> rule : rules) {
                iptables("-D", rule);
            }
        }
    }

    // --- what the topics say -------------------------------------------------------------------

    private Envelope leaderEnvelope(LeaderEpoch epoch) {
        return tap.envelopes(topics.leader(), LeaderEpoch.class).filter(e -> e.body().equals(epoch)).findFirst().orElseThrow();
    }

    private void control(String host, Message m) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), host, codec.encode(Envelope.of("operator:test", m,
                System.currentTimeMillis())))).get();
    }

    private Optional<LeaderEpoch> leader() {
        return tap.bodies(topics.leader(), LeaderEpoch.class).stream().max((a, b) -> Long.compare(a.epoch(), b.epoch()));
    }

    private List<Envelope> committedCommands() {
        return tap.all().stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null)
                .map(TopicTap.Seen::envelope).toList();
    }

    /** When the first command of a leader newer than {@code epoch} was seen; empty if none yet. */
    private Optional<Long> firstCommandAfter(long epoch) {
        return tap.all().stream().filter(s -> s.topic().startsWith(topics.prefix() + "commands.") && s.envelope() != null)
                .filter(s -> s.envelope().epoch() > epoch).map(TopicTap.Seen::seenAt).min(Long::compare);
    }

    /** Migrate commands per guest off {@code host} sent since {@code since}. */
    private Map<String, Long> commandsPerGuest(String host, long since) {
        return committedCommands().stream()
                .filter(e -> e.ts() >= since && e.body() instanceof Migrate m && m.source().equals(host))
                .collect(Collectors.groupingBy(e -> ((Migrate) e.body()).guest(), Collectors.counting()));
    }

    private List<CommandResult> results() {
        return tap.bodies(topics.commandResults(), CommandResult.class);
    }

    private boolean resultSeenAfter(CommandResult r, long at) {
        return tap.all().stream().anyMatch(s -> s.envelope() != null && s.envelope().body() == r && s.seenAt() >= at);
    }

    /** Guests that moved off {@code host} for commands sent since {@code since}, with how often. */
    private Map<String, Long> succeededFrom(String host, long since) {
        Set<String> ids = committedCommands().stream()
                .filter(e -> e.ts() >= since && e.body() instanceof Migrate m && m.source().equals(host))
                .map(Envelope::id).collect(Collectors.toSet());
        return results().stream().filter(r -> r.status() == ResultStatus.SUCCEEDED && ids.contains(r.commandId()))
                .collect(Collectors.groupingBy(CommandResult::guest, Collectors.counting()));
    }

    private Map<String, Inventory> inventories() {
        Map<String, Inventory> latest = new LinkedHashMap<>();
        tap.bodies(topics.inventory(), Inventory.class).forEach(inv -> latest.put(inv.facts().host(), inv));
        return latest;
    }

    private Set<String> guestsOn(String host) {
        return Optional.ofNullable(inventories().get(host)).map(inv -> inv.guests().stream().map(GuestDescriptor::name)
                .collect(Collectors.toSet())).orElse(Set.of());
    }

    private void everyGuestOnExactlyOneHost() {
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

    private void noCommandRanTwice() {
        Map<String, Long> accepted = results().stream().filter(r -> r.status() == ResultStatus.ACCEPTED)
                .collect(Collectors.groupingBy(CommandResult::commandId, Collectors.counting()));
        accepted.forEach((id, n) -> assertEquals(1, n, "command " + id + " was accepted " + n + " times"));
    }
}
