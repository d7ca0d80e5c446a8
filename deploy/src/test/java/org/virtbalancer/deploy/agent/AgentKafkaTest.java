package org.virtbalancer.deploy.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.ExecutedCommands;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent against a real broker and a two-host simulated fabric. */
@ExtendWith(Broker.class)
class AgentKafkaTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final Codec codec = new Codec();
    private Vertx vertx;
    private KafkaSettings settings;
    private Topics topics;
    private SimulatedFabric fabric;
    private KafkaProducer<String, byte[]> producer;
    private TopicTap tap;
    @TempDir
    Path stateA;
    @TempDir
    Path stateB;
    private MeterRegistry registryA;
    private String agentA;

    @BeforeEach
    void start(EmbeddedKafka kafka) throws Exception {
        topics = new Topics("t-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        settings = KafkaSettings.of(kafka.bootstrapServers()).withTopics(topics);
        // Links of 1000 MiB/s, migrations at twice real speed: a 2 GiB guest moves in about a second.
        fabric = SimulatedFabric.builder().migrationSpeedup(2).traceStep(Duration.ofSeconds(1))
                .host(HostSpec.of("host-a").withLinkMiBps(1000))
                .host(HostSpec.of("host-b").withLinkMiBps(1000))
                .guest("host-a", GuestSpec.of("web").withMemoryMiB(2048).withDirtyRateMiBps(20)
                        .withTrace("146-179_surfsnel_dsl_internl_net_root", 0))
                .guest("host-a", GuestSpec.of("big").withMemoryMiB(32768).withDirtyRateMiBps(10))
                .guest("host-a", GuestSpec.of("m1").withMemoryMiB(4096).withDirtyRateMiBps(0))
                .guest("host-a", GuestSpec.of("m2").withMemoryMiB(4096).withDirtyRateMiBps(0))
                .guest("host-a", GuestSpec.of("m3").withMemoryMiB(1024).withDirtyRateMiBps(0))
                .guest("host-b", GuestSpec.of("db"))
                .build();
        vertx = Vertx.vertx();
        deploy(config("host-b", stateB), new SimpleMeterRegistry());
        producer = new KafkaProducer<>(new HashMap<>(settings.producer("test-balancer")));
        tap = new TopicTap(settings, List.of(topics.inventory(), topics.hostLoad(), topics.domainEvents(),
                topics.commandResults(), topics.deadLetter()));
        // host-a starts once host-b's inventory is on the topic, so it knows host-b as a target from the start.
        await().atMost(WAIT).until(() -> inventoryOf("host-b") != null);
        registryA = new SimpleMeterRegistry();
        agentA = deploy(config("host-a", stateA), registryA);
    }

    @AfterEach
    void stop() throws Exception {
        if (tap != null) {
            tap.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (vertx != null) {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    private AgentConfig config(String host, Path state) {
        return AgentConfig.of(host, settings, state).withSampleInterval(Duration.ofMillis(300))
                .withProgressInterval(Duration.ofMillis(100)).withStopGracePeriod(Duration.ofSeconds(1));
    }

    private String deploy(AgentConfig config, MeterRegistry registry) throws Exception {
        return vertx.deployVerticle(new AgentVerticle(config, fabric.driver(config.hostId()), registry)).await(60, TimeUnit.SECONDS);
    }

    private Inventory inventoryOf(String host) {
        List<Inventory> all = tap.bodies(topics.inventory(), Inventory.class).filter(i -> i.facts().host().equals(host)).toList();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    private List<CommandResult> resultsOf(String commandId) {
        return tap.bodies(topics.commandResults(), CommandResult.class).filter(r -> r.commandId().equals(commandId)).toList();
    }

    private CommandResult finalResult(String commandId) {
        await().atMost(WAIT).until(() -> resultsOf(commandId).stream().anyMatch(r -> r.status().isFinal()));
        return resultsOf(commandId).stream().filter(r -> r.status().isFinal()).findFirst().orElseThrow();
    }

    private void send(String host, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topics.commands(host), key, value)).get(30, TimeUnit.SECONDS);
    }

    private void send(String commandId, Message command) throws Exception {
        send("host-a", commandId, codec.encode(Envelope.command(commandId, "balancer:test", 1, command, System.currentTimeMillis())));
    }

    private static Migrate migrate(String guest, String target) {
        return new Migrate(guest, "host-a", target, MigrationMode.LIVE, MigrationOptions.move(),
                System.currentTimeMillis() + 600_000, "test");
    }

    private double counter(MeterRegistry registry, String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void publishesInventoryLoadAndEventsOfItsHost() {
        await().atMost(WAIT).until(() -> inventoryOf("host-a") != null);
        Inventory a = inventoryOf("host-a");
        assertEquals(List.of("web", "big", "m1", "m2", "m3"), a.guests().stream().map(g -> g.name()).toList());
        assertEquals("x86_64", a.facts().arch());
        await().atMost(WAIT).until(() -> tap.bodies(topics.hostLoad(), HostLoad.class).anyMatch(l -> l.host().equals("host-a")));
        HostLoad load = tap.bodies(topics.hostLoad(), HostLoad.class).filter(l -> l.host().equals("host-a")).findFirst().orElseThrow();
        assertEquals(5, load.guests().size());
        assertTrue(tap.all().stream().filter(s -> s.topic().equals(topics.inventory()))
                .allMatch(s -> s.envelope().source().equals("agent:" + s.key())), "inventory keyed by host, from agent:<host>");

        fabric.addGuest("host-a", GuestSpec.of("late"));

        await().atMost(WAIT).until(() -> tap.bodies(topics.domainEvents(), DomainEvent.class)
                .anyMatch(e -> e.guest().equals("late") && e.kind() == DomainEventKind.STARTED));
        await().atMost(WAIT).until(() -> inventoryOf("host-a").guests().stream().anyMatch(g -> g.name().equals("late")));
    }

    @Test
    void migrateIsAcceptedReportsProgressAndSucceedsWithTheGuestOnTheTarget() throws Exception {
        send("cmd-1", migrate("web", "host-b"));

        CommandResult done = finalResult("cmd-1");

        assertEquals(ResultStatus.SUCCEEDED, done.status(), done.reason());
        List<ResultStatus> steps = resultsOf("cmd-1").stream().map(CommandResult::status).toList();
        assertEquals(ResultStatus.ACCEPTED, steps.get(0));
        assertTrue(steps.contains(ResultStatus.PROGRESS), steps.toString());
        assertEquals(ResultStatus.SUCCEEDED, steps.get(steps.size() - 1));
        assertEquals(100, done.percent());
        assertTrue(done.stats().transferredMiB() >= 2048, done.stats().toString());
        assertEquals("host-b", fabric.hostOf("web").orElseThrow());
        await().atMost(WAIT).until(() -> inventoryOf("host-b").guests().stream().anyMatch(g -> g.name().equals("web")));
        assertTrue(tap.bodies(topics.domainEvents(), DomainEvent.class)
                .anyMatch(e -> e.host().equals("host-b") && e.kind() == DomainEventKind.MIGRATED_IN));
    }

    @Test
    void theSameCommandRunsOnceAlsoAfterTheAgentRestarts() throws Exception {
        send("cmd-once", migrate("web", "host-b"));
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-once").status());

        send("cmd-once", migrate("web", "host-b"));
        send("probe-1", migrate("web", "host-z"));
        // Commands are handled in order: once the probe has its result, the duplicate has been handled too.
        finalResult("probe-1");
        assertEquals(1, counter(registryA, "vb.agent.commands.duplicate"));

        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        MeterRegistry restarted = new SimpleMeterRegistry();
        deploy(config("host-a", stateA), restarted);
        send("cmd-once", migrate("web", "host-b"));
        send("probe-2", migrate("web", "host-z"));
        finalResult("probe-2");

        assertEquals(1, counter(restarted, "vb.agent.commands.duplicate"));
        assertEquals(1, resultsOf("cmd-once").stream().filter(r -> r.status() == ResultStatus.ACCEPTED).count());
        assertEquals(1, resultsOf("cmd-once").stream().filter(r -> r.status().isFinal()).count());
    }

    @Test
    void aCommandForAnUnknownTargetIsRejectedWithAReason() throws Exception {
        send("cmd-nowhere", migrate("web", "host-z"));

        CommandResult r = finalResult("cmd-nowhere");

        assertEquals(ResultStatus.REJECTED, r.status());
        assertTrue(r.reason().contains("host-z is not a known host"), r.reason());
        assertEquals("host-a", fabric.hostOf("web").orElseThrow());
        send("cmd-ghost", migrate("ghost", "host-b"));
        assertTrue(finalResult("cmd-ghost").reason().contains("guest ghost is not on host host-a"));
    }

    @Test
    void anUndecodableCommandGoesToDeadLetterAndTheNextCommandStillRuns() throws Exception {
        send("host-a", "garbage", "this is not json".getBytes(StandardCharsets.UTF_8));
        send("cmd-after", migrate("web", "host-b"));

        await().atMost(WAIT).until(() -> tap.bodies(topics.deadLetter(), DeadLetter.class).findAny().isPresent());
        DeadLetter letter = tap.bodies(topics.deadLetter(), DeadLetter.class).findFirst().orElseThrow();
        assertEquals(topics.commands("host-a"), letter.topic());
        assertEquals("garbage", letter.key());
        assertEquals("this is not json", letter.payload());
        assertEquals("agent:host-a", letter.rejectedBy());
        assertTrue(letter.reason().startsWith("not valid JSON"), letter.reason());
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-after").status());
        assertEquals(1.0, registryA.find("vb.dead.letters").tag("topic", topics.commands("host-a")).tag("reason", "invalid").counter().count());
    }

    @Test
    void aFailureReasonLongerThanAMessageMayCarryIsShortenedAndTheGuestCanMoveAgain() throws Exception {
        fabric.failNextMigration("m1", "the hypervisor says: " + "x".repeat(6000));
        send("cmd-long-reason", migrate("m1", "host-b"));

        CommandResult failed = finalResult("cmd-long-reason");
        assertEquals(ResultStatus.FAILED, failed.status());
        assertTrue(failed.reason().startsWith("the hypervisor says: xxx") && failed.reason().length() <= 4096,
                failed.reason().length() + " characters");
        assertTrue(failed.reason().endsWith("more characters in the agent's log)"), failed.reason());
        send("cmd-again", migrate("m1", "host-b"));
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-again").status(), "the failed migration freed its guest");
    }

    @Test
    void abortStopsARunningMigrationAndBothCommandsGetAFinalResult() throws Exception {
        send("cmd-long", migrate("big", "host-b"));
        await().atMost(WAIT).until(() -> resultsOf("cmd-long").stream().anyMatch(r -> r.status() == ResultStatus.PROGRESS));

        send("abort-1", new Abort("cmd-long", "big", "operator changed their mind"));

        CommandResult migration = finalResult("cmd-long");
        assertEquals(ResultStatus.FAILED, migration.status());
        assertTrue(migration.reason().startsWith("aborted: operator changed their mind"), migration.reason());
        assertEquals(ResultStatus.SUCCEEDED, finalResult("abort-1").status());
        assertEquals("host-a", fabric.hostOf("big").orElseThrow());

        send("abort-2", new Abort("cmd-long", "big", "again"));
        assertEquals(ResultStatus.REJECTED, finalResult("abort-2").status());
    }

    @Test
    void migrationsRunSideBySideUpToTheLimitAndTheRestWaitInTheQueue() throws Exception {
        send("cmd-m1", migrate("m1", "host-b"));
        send("cmd-m2", migrate("m2", "host-b"));
        send("cmd-m3", migrate("m3", "host-b"));

        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-m1").status());
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-m2").status());
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-m3").status());
        CommandResult accepted3 = resultsOf("cmd-m3").get(0);
        assertEquals(ResultStatus.ACCEPTED, accepted3.status());
        assertTrue(accepted3.reason().contains("queued behind 2 migrations"), accepted3.reason());
        // Each of m1 and m2 takes about 2 s; running side by side, the second reports progress before the first ends.
        List<TopicTap.Seen> results = tap.all().stream().filter(x -> x.topic().equals(topics.commandResults())).toList();
        int m1Done = indexOf(results, "cmd-m1", ResultStatus.SUCCEEDED);
        int m2Progress = indexOf(results, "cmd-m2", ResultStatus.PROGRESS);
        int m3Progress = indexOf(results, "cmd-m3", ResultStatus.PROGRESS);
        assertTrue(m2Progress < m1Done, "m2 ran alongside m1");
        assertTrue(m3Progress > m1Done, "m3 waited for a free slot");
    }

    private static int indexOf(List<TopicTap.Seen> results, String commandId, ResultStatus status) {
        for (int i = 0; i < results.size(); i++) {
            CommandResult r = (CommandResult) results.get(i).envelope().body();
            if (r.commandId().equals(commandId) && r.status() == status) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    @Test
    void wrongMessagesOnTheCommandAndInventoryTopicsAreDeadLettered() throws Exception {
        send("host-a", "event", codec.encode(Envelope.of("operator:x", new DomainEvent("host-a", "web", DomainEventKind.STARTED,
                ""), System.currentTimeMillis())));
        producer.send(new ProducerRecord<>(topics.inventory(), "host-q", "{\"v\":1}".getBytes(StandardCharsets.UTF_8)))
                .get(30, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> tap.bodies(topics.deadLetter(), DeadLetter.class).map(DeadLetter::topic)
                .toList().containsAll(List.of(topics.commands("host-a"), topics.inventory())));
        DeadLetter wrongType = tap.bodies(topics.deadLetter(), DeadLetter.class)
                .filter(d -> d.topic().equals(topics.commands("host-a"))).findFirst().orElseThrow();
        assertTrue(wrongType.reason().contains("DomainEvent message does not belong on"), wrongType.reason());
        DeadLetter badInventory = tap.bodies(topics.deadLetter(), DeadLetter.class)
                .filter(d -> d.topic().equals(topics.inventory())).findFirst().orElseThrow();
        assertTrue(badInventory.reason().contains("type"), badInventory.reason());
        send("cmd-still", migrate("web", "host-b"));
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-still").status());
    }

    @Test
    void stoppingTheAgentAbortsItsRunningMigrationWithAFinalResult() throws Exception {
        send("cmd-cut", migrate("big", "host-b"));
        await().atMost(WAIT).until(() -> resultsOf("cmd-cut").stream().anyMatch(r -> r.status() == ResultStatus.PROGRESS));

        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);

        CommandResult r = finalResult("cmd-cut");
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().startsWith("aborted: the agent on host host-a is stopping"), r.reason());
        assertEquals(GuestState.RUNNING, fabric.guest("host-a", "big").orElseThrow().state());
    }

    @Test
    void aMigrationCutShortByACrashIsReportedFailedAtTheNextStartAndNotRerun() throws Exception {
        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        // What a crash mid-migration leaves behind: accepted, no final result.
        try (ExecutedCommands store = ExecutedCommands.open(stateA)) {
            store.recordAccepted("cmd-crashed", "web");
        }
        deploy(config("host-a", stateA), new SimpleMeterRegistry());

        CommandResult r = finalResult("cmd-crashed");
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("restarted while this migration ran; guest web is running on host-a"), r.reason());
        send("cmd-crashed", migrate("web", "host-b"));
        send("probe", migrate("web", "host-z"));
        finalResult("probe");
        assertEquals(1, resultsOf("cmd-crashed").size(), "reported once, never run again");
    }

    @Test
    void aFinalResultThatWentOutJustBeforeACrashIsNotReportedAgain() throws Exception {
        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        // What a crash right after publishing a final result leaves behind: accepted, reporting, not done; the result is out.
        long now = System.currentTimeMillis();
        try (ExecutedCommands store = ExecutedCommands.open(stateA)) {
            store.recordAccepted("cmd-out", "web", codec.toJson(migrate("web", "host-b")), now);
            store.recordReporting("cmd-out", now);
        }
        CommandResult sent = new CommandResult("cmd-out", "host-a", "web", ResultStatus.FAILED, 0, "aborted: operator", null);
        producer.send(new ProducerRecord<>(topics.commandResults(), "cmd-out", codec.encode(Envelope.of("agent:host-a", sent,
                System.currentTimeMillis())))).get(30, TimeUnit.SECONDS);

        deploy(config("host-a", stateA), new SimpleMeterRegistry());
        send("probe", migrate("web", "host-z"));
        finalResult("probe");

        assertEquals(List.of(sent), resultsOf("cmd-out"), "the result that went out is the only one");
        assertTrue(Files.readString(stateA.resolve("executed-commands.log"), StandardCharsets.UTF_8).contains("\nD cmd-out\n"),
                "noted done");
        assertEquals("host-a", fabric.hostOf("web").orElseThrow(), "nothing was run");
    }

    @Test
    void aFinalResultACrashStoppedBeforeItWentOutIsReportedOnceAtTheNextStart() throws Exception {
        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        try (ExecutedCommands store = ExecutedCommands.open(stateA)) {
            store.recordAccepted("cmd-lost", "web", codec.toJson(migrate("web", "host-b")), now);
            store.recordReporting("cmd-lost", now);
        }

        deploy(config("host-a", stateA), new SimpleMeterRegistry());

        CommandResult r = finalResult("cmd-lost");
        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("guest web is still on host-a and no migration of it runs"), r.reason());
        send("cmd-lost", migrate("web", "host-b"));
        send("probe", migrate("web", "host-z"));
        finalResult("probe");
        assertEquals(1, resultsOf("cmd-lost").size(), "reported once, never run");
        assertEquals("host-a", fabric.hostOf("web").orElseThrow());
    }

    @Test
    void aMigrationStillRunningAfterAnInProcessRestartIsFollowedToItsEnd() throws Exception {
        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        // The hypervisor runs a migration that the agent's earlier run started: a crash leaves exactly this behind.
        // m1 (4 GiB, nothing dirtied) capped at 300 MiB/s: about 7 s of wall time at this fabric's speed-up of 2.
        Migrate m = new Migrate("m1", "host-a", "host-b", MigrationMode.LIVE, new MigrationOptions(true, true, false,
                org.virtbalancer.protocol.CopyStorage.NONE, 0, "", 300, false, 0, false, false, false, 0, 0, false),
                System.currentTimeMillis() + 600_000, "test");
        long now = System.currentTimeMillis();
        try (ExecutedCommands store = ExecutedCommands.open(stateA)) {
            store.recordAccepted("cmd-running", "m1", codec.toJson(m), now);
        }
        var driver = fabric.driver("host-a");
        var target = fabric.hostFacts("host-b").orElseThrow();
        var started = new java.util.concurrent.CompletableFuture<Void>();
        Thread earlierRun = new Thread(() -> {
            try {
                driver.migrate(new org.virtbalancer.agent.driver.MigrationRequest("m1", target, MigrationMode.LIVE, m.options(),
                        java.time.Instant.ofEpochMilli(m.deadlineTs())), (p, st) -> {
                    started.complete(null);
                    throw new IllegalStateException("the earlier run of the agent is gone");
                });
            } catch (Exception e) {
                // The earlier run's thread ends here; the hypervisor carries on.
            }
        });
        earlierRun.start();
        started.get(30, TimeUnit.SECONDS);
        earlierRun.join(30_000);

        deploy(config("host-a", stateA), new SimpleMeterRegistry());

        CommandResult r = finalResult("cmd-running");
        assertEquals(ResultStatus.SUCCEEDED, r.status(), r.reason());
        assertTrue(resultsOf("cmd-running").stream().anyMatch(x -> x.status() == ResultStatus.PROGRESS), "followed with progress");
        assertEquals("host-b", fabric.hostOf("m1").orElseThrow());
        assertEquals(1, resultsOf("cmd-running").stream().filter(x -> x.status().isFinal()).count());
    }

    @Test
    void aMigrationTheHypervisorCannotAnswerForAtStartIsDecidedOnceItCan() throws Exception {
        vertx.undeploy(agentA).await(60, TimeUnit.SECONDS);
        try (ExecutedCommands store = ExecutedCommands.open(stateA)) {
            store.recordAccepted("cmd-unsure", "web", codec.toJson(migrate("web", "host-b")), System.currentTimeMillis());
        }
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        HypervisorDriver real = fabric.driver("host-a");
        HypervisorDriver flaky = new HypervisorDriver() {
            @Override
            public org.virtbalancer.agent.driver.MigrationJob inspectMigration(String guest, String target,
                    java.util.Optional<org.virtbalancer.protocol.HostFacts> facts, MigrationMode mode) throws DriverException {
                if (asked.incrementAndGet() == 1) {
                    throw new DriverException("libvirt at qemu:///system has been unreachable since a moment ago");
                }
                return real.inspectMigration(guest, target, facts, mode);
            }

            @Override
            public org.virtbalancer.protocol.HostFacts hostFacts() throws DriverException {
                return real.hostFacts();
            }

            @Override
            public List<org.virtbalancer.protocol.GuestDescriptor> guests() throws DriverException {
                return real.guests();
            }

            @Override
            public HostLoad sampleLoad(Duration interval) throws DriverException {
                return real.sampleLoad(interval);
            }

            @Override
            public void listen(java.util.function.Consumer<DomainEvent> listener) throws DriverException {
                real.listen(listener);
            }

            @Override
            public org.virtbalancer.protocol.MigrationStats migrate(org.virtbalancer.agent.driver.MigrationRequest request,
                    org.virtbalancer.agent.driver.MigrationProgress progress) throws org.virtbalancer.agent.driver.MigrationException {
                return real.migrate(request, progress);
            }

            @Override
            public org.virtbalancer.protocol.MigrationStats followMigration(org.virtbalancer.agent.driver.MigrationRequest request,
                    org.virtbalancer.agent.driver.MigrationProgress progress) throws org.virtbalancer.agent.driver.MigrationException {
                return real.followMigration(request, progress);
            }

            @Override
            public boolean abort(String guest) throws DriverException {
                return real.abort(guest);
            }

            @Override
            public void close() {
                real.close();
            }
        };
        vertx.deployVerticle(new AgentVerticle(config("host-a", stateA), flaky, new SimpleMeterRegistry())).await(60, TimeUnit.SECONDS);

        CommandResult r = finalResult("cmd-unsure");

        assertEquals(ResultStatus.FAILED, r.status());
        assertTrue(r.reason().contains("guest web is still on host-a and no migration of it runs"), r.reason());
        assertEquals(2, asked.get(), "asked again after the failure, then not again");
        send("probe", migrate("web", "host-z"));
        finalResult("probe");
        assertEquals(1, resultsOf("cmd-unsure").size());
    }
}
