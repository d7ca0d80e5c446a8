package org.virtbalancer.deploy.fault;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.e2e.TopicTap;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PreCopyModel;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 5's acceptance: an agent SIGKILLed mid-migration and restarted with the same state
 * directory reports every migration exactly once, with its true outcome, and starts none again.
 *
 * <p>The agent is {@code vbal agent --driver simulated} in a child JVM (two hosts, {@code src}
 * and {@code dst}, four 2 GiB guests each, at most three migrations at once) on the real broker.
 * Four migrations out of {@code src} are under way when it is killed; each meets a different fate
 * while the agent is dead, because the simulated hypervisor, like libvirtd with a peer-to-peer
 * job, carries them on without it:
 * <ul>
 *   <li>{@code finishes}: ends on {@code dst} before the agent is back: found there, SUCCEEDED;</li>
 *   <li>{@code outlives}: still running when the agent is back: followed, with progress, to SUCCEEDED;</li>
 *   <li>{@code deadline}: its deadline passes while nobody enforces it; the restarted agent aborts
 *   it: FAILED, the guest stays on {@code src};</li>
 *   <li>{@code queued}: accepted but waiting for a slot, never started: FAILED, stays on {@code src}.</li>
 * </ul>
 * After the restart all four commands are delivered again, as after an uncommitted offset; none
 * is accepted or run a second time.
 */
@ExtendWith(Broker.class)
class AgentRestartTest {
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long GUEST_MIB = 2048;
    /** What {@code vbal agent --driver simulated} gives every guest (GuestSpec.of). */
    private static final double DIRTY_MIBPS = 20;

    private final Codec codec = new Codec();
    @TempDir
    Path state;
    private KafkaSettings kafka;
    private Topics topics;
    private TopicTap tap;
    private KafkaProducer<String, byte[]> producer;
    private AgentProcess agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) agent.close();
        if (tap != null) tap.close();
        if (producer != null) producer.close();
    }

    /** The four migrations, by command id: guest, bandwidth cap (which sets its duration), and whether it has a short deadline. */
    private record Case(String guest, long bandwidthMiBps, long deadlineInMs) {
        double durationMs() {
            return PreCopyModel.live(GUEST_MIB, DIRTY_MIBPS, bandwidthMiBps, 0, false, false).durationMs();
        }
    }

    @Test
    void anAgentKilledMidMigrationReportsEachMigrationOnceWithItsTrueOutcomeAndRunsNoneAgain(EmbeddedKafka broker)
            throws Exception {
        long began = System.currentTimeMillis();
        topics = new Topics("r" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        tap = new TopicTap(kafka);
        producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-balancer")));
        Path target = Path.of("target").toAbsolutePath();
        // In the order sent; the agent takes about a second to accept each (it commits each command's offset before
        // the next, and its consumer's commit waits for the current poll). Durations at the capped bandwidth.
        Map<String, Case> cases = new LinkedHashMap<>();
        // The two that outlive the agent run long enough that the restarted agent finds them unfinished even on a
        // slow, busy machine (its JVM may take many seconds to start): had "deadline" ended while no agent watched,
        // the guest would truly have moved, and so would the outcome.
        cases.put("deadline", new Case("src-vm-2", 35, 9_000));      // about 136 s, but its deadline comes after 9 s
        cases.put("outlives", new Case("src-vm-1", 50, 600_000));    // about 68 s
        cases.put("finishes", new Case("src-vm-0", 250, 600_000));   // about 9 s
        cases.put("queued", new Case("src-vm-3", 500, 600_000));     // waits behind the three others

        agent = startAgent(target.resolve("agent-restart-1.log"));
        long sentAt = System.currentTimeMillis();
        for (var c : cases.entrySet()) {
            send(c.getKey(), migrate(c.getValue(), sentAt));
        }
        // Kill it while the first three run: each has reported progress and none has ended.
        await().atMost(WAIT).until(() -> List.of("finishes", "outlives", "deadline").stream()
                .allMatch(id -> has(id, ResultStatus.PROGRESS)) && has("queued", ResultStatus.ACCEPTED));
        agent.kill();
        long killedAt = System.currentTimeMillis();
        for (String id : cases.keySet()) {
            assertFalse(results(id).stream().anyMatch(r -> r.status().isFinal()), id + " ended before the kill: too fast a machine"
                    + " or too slow a one to test this");
        }

        // Back only once "finishes" has ended and "deadline"'s deadline has passed, with nobody watching either.
        CommandResult firstProgress = first("finishes", ResultStatus.PROGRESS);
        long finishesEnds = envelopeTs("finishes", ResultStatus.PROGRESS) - firstProgress.stats().elapsedMs()
                + (long) cases.get("finishes").durationMs();
        long deadlinePasses = sentAt + cases.get("deadline").deadlineInMs();
        await().atMost(WAIT).until(() -> System.currentTimeMillis() > Math.max(finishesEnds, deadlinePasses) + 500);
        long restartedAt = System.currentTimeMillis();
        agent = startAgent(target.resolve("agent-restart-2.log"));

        // "outlives" ends about 68 s after it started, up to a minute after the restart.
        await().atMost(WAIT.multipliedBy(2)).until(() -> cases.keySet().stream()
                .allMatch(id -> results(id).stream().anyMatch(r -> r.status().isFinal())));
        // As after a crash before the offsets were committed: every command arrives again, then a probe behind them.
        for (var c : cases.entrySet()) {
            send(c.getKey(), migrate(c.getValue(), sentAt));
        }
        send("probe", new Migrate("src-vm-0", "src", "nowhere", MigrationMode.LIVE, MigrationOptions.move(),
                System.currentTimeMillis() + 600_000, "probe"));
        await().atMost(WAIT).until(() -> results("probe").stream().anyMatch(r -> r.status().isFinal()));

        Map<String, String> expected = Map.of("finishes", "dst", "outlives", "dst", "deadline", "src", "queued", "src");
        await().atMost(WAIT).untilAsserted(() -> {
            for (var c : cases.entrySet()) {
                assertEquals(Set.of(expected.get(c.getKey())), hostsOf(c.getValue().guest()), c.getKey()
                        + ": the inventory shows the guest on exactly one host, the one its outcome says");
            }
        });
        for (var c : cases.entrySet()) {
            String id = c.getKey();
            List<CommandResult> finals = results(id).stream().filter(r -> r.status().isFinal()).toList();
            assertEquals(1, finals.size(), id + ": exactly one final result, got " + finals);
            CommandResult done = finals.get(0);
            assertEquals(expected.get(id).equals("dst") ? ResultStatus.SUCCEEDED : ResultStatus.FAILED, done.status(),
                    id + ": " + done.reason());
            assertEquals(1, results(id).stream().filter(r -> r.status() == ResultStatus.ACCEPTED).count(),
                    id + ": accepted once, never again after the restart");
            assertEquals("src", done.host());
        }
        assertTrue(resultsAfter("outlives", restartedAt).stream().anyMatch(r -> r.status() == ResultStatus.PROGRESS),
                "the restarted agent followed the migration still running and reported its progress");
        assertTrue(first("deadline", ResultStatus.FAILED).reason().startsWith("aborted: the deadline"),
                first("deadline", ResultStatus.FAILED).reason());
        assertTrue(first("queued", ResultStatus.FAILED).reason().contains("no migration of it runs, nor has the hypervisor a record"),
                first("queued", ResultStatus.FAILED).reason());
        assertTrue(first("finishes", ResultStatus.SUCCEEDED).reason().contains("restarted while this migration ran"),
                first("finishes", ResultStatus.SUCCEEDED).reason());
        System.out.printf("AgentRestartTest: killed %.1f s after the commands, restarted %.1f s later, all reported %.1f s"
                        + " after the restart; %.1f s in all%n", (killedAt - sentAt) / 1000.0, (restartedAt - killedAt) / 1000.0,
                (lastFinalSeenAt() - restartedAt) / 1000.0, (System.currentTimeMillis() - began) / 1000.0);
    }

    private AgentProcess startAgent(Path log) throws Exception {
        AgentProcess p = AgentProcess.simulated(kafka, state, log, List.of("src", "dst"), "--guests-per-host", "4",
                "--max-migrations", "3", "--interval", "1s");
        await().atMost(START).until(() -> p.running() || !p.alive());
        assertTrue(p.alive(), () -> "the agent died: " + p.output());
        return p;
    }

    private static Migrate migrate(Case c, long sentAt) {
        MigrationOptions o = new MigrationOptions(true, true, false, CopyStorage.NONE, 0, "", c.bandwidthMiBps(), false, 0,
                false, false, false, 0, 0, false);
        return new Migrate(c.guest(), "src", "dst", MigrationMode.LIVE, o, sentAt + c.deadlineInMs(), "agent restart test");
    }

    private void send(String id, Migrate command) throws Exception {
        byte[] value = codec.encode(Envelope.command(id, "balancer:test", 1, command, System.currentTimeMillis()));
        producer.send(new ProducerRecord<>(topics.commands(command.source()), id, value)).get(30, TimeUnit.SECONDS);
    }

    private List<CommandResult> results(String id) {
        return tap.bodies(topics.commandResults(), CommandResult.class).stream().filter(r -> r.commandId().equals(id)).toList();
    }

    private List<CommandResult> resultsAfter(String id, long ms) {
        return tap.all().stream().filter(s -> s.topic().equals(topics.commandResults()) && s.envelope() != null
                        && s.envelope().ts() > ms && s.envelope().body() instanceof CommandResult r && r.commandId().equals(id))
                .map(s -> (CommandResult) s.envelope().body()).toList();
    }

    private boolean has(String id, ResultStatus status) {
        return results(id).stream().anyMatch(r -> r.status() == status);
    }

    private CommandResult first(String id, ResultStatus status) {
        return results(id).stream().filter(r -> r.status() == status).findFirst().orElseThrow();
    }

    private long envelopeTs(String id, ResultStatus status) {
        return tap.envelopes(topics.commandResults(), CommandResult.class)
                .filter(e -> ((CommandResult) e.body()).commandId().equals(id) && ((CommandResult) e.body()).status() == status)
                .findFirst().orElseThrow().ts();
    }

    private long lastFinalSeenAt() {
        return tap.all().stream().filter(s -> s.envelope() != null && s.envelope().body() instanceof CommandResult r
                && r.status().isFinal() && !r.commandId().equals("probe")).mapToLong(TopicTap.Seen::seenAt).max().orElse(0);
    }

    /** The hosts whose latest inventory lists the guest, running or only defined. */
    private Set<String> hostsOf(String guest) {
        Map<String, Inventory> latest = new HashMap<>();
        tap.bodies(topics.inventory(), Inventory.class).forEach(i -> latest.put(i.facts().host(), i));
        return latest.values().stream().filter(i -> i.guests().stream().map(GuestDescriptor::name).anyMatch(guest::equals))
                .map(i -> i.facts().host()).collect(Collectors.toSet());
    }
}
