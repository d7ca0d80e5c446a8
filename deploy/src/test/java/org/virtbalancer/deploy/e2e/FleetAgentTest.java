package org.virtbalancer.deploy.e2e;

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
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.BalancerVerticle;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ten simulated hosts in one agent process (one producer, one consumer of all ten command
 * topics) and a real balancer, on the real broker: each host still reports for itself and runs
 * only the commands of its own topic, each command id once.
 */
@ExtendWith(Broker.class)
class FleetAgentTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final int CPUS = 8;
    private static final List<String> HOSTS = IntStream.rangeClosed(1, 10).mapToObj(i -> "h" + i).toList();

    private final Codec codec = new Codec();
    private final SimpleMeterRegistry agentMetrics = new SimpleMeterRegistry();
    @TempDir
    Path state;
    private Topics topics;
    private SimulatedFabric fabric;
    private Vertx vertx;
    private BalancerVerticle balancer;
    private TopicTap tap;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void start(EmbeddedKafka broker) throws Exception {
        topics = new Topics("f" + UUID.randomUUID().toString().substring(0, 8) + ".");
        KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        SimulatedFabric.Builder b = SimulatedFabric.builder().migrationSpeedup(4);
        for (String h : HOSTS) {
            b.host(HostSpec.of(h).withCpus(CPUS).withMemoryMiB(32768));
            for (int i = 0; i < 3; i++) {
                b.guest(h, GuestSpec.of(h + "-vm-" + i).withVcpus(1).withMemoryMiB(2048).withConstantCpu(0.5));
            }
        }
        fabric = b.build();
        vertx = Vertx.vertx();
        List<AgentConfig> configs = HOSTS.stream().map(h -> AgentConfig.of(h, kafka, state.resolve(h))
                .withSampleInterval(Duration.ofMillis(250)).withInventoryInterval(Duration.ofSeconds(5))
                .withProgressInterval(Duration.ofMillis(200))).toList();
        vertx.deployVerticle(AgentVerticle.fleet(configs, fabric::driver, agentMetrics)).await(60, TimeUnit.SECONDS);
        balancer = new BalancerVerticle(BalancerConfig.of("b1", kafka).withSettings(ClusterFixture.testSettings())
                .withTick(Duration.ofMillis(250)), Clock.systemUTC(), new SimpleMeterRegistry());
        vertx.deployVerticle(balancer).await(60, TimeUnit.SECONDS);
        tap = new TopicTap(kafka);
        producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-operator")));
    }

    @AfterEach
    void stop() throws Exception {
        if (tap != null) tap.close();
        if (producer != null) producer.close();
        if (vertx != null) vertx.close().await(60, TimeUnit.SECONDS);
    }

    @Test
    void eachHostOfAFleetReportsForItselfAndRunsOnlyItsOwnCommandsOnce() throws Exception {
        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> reported = tap.envelopes(topics.hostLoad(), HostLoad.class)
                    .map(e -> ((HostLoad) e.body()).host()).collect(Collectors.toSet());
            assertEquals(Set.copyOf(HOSTS), reported, "every host sends its own load");
        });
        for (TopicTap.Seen s : tap.all()) {
            if (s.envelope() != null && (s.envelope().body() instanceof HostLoad || s.envelope().body() instanceof Inventory)) {
                String host = s.envelope().body() instanceof HostLoad l ? l.host() : ((Inventory) s.envelope().body()).facts().host();
                assertEquals(host, s.key(), "keyed by its host");
                assertEquals("agent:" + host, s.envelope().source());
            }
        }
        HostLoad h5 = tap.envelopes(topics.hostLoad(), HostLoad.class).map(e -> (HostLoad) e.body())
                .filter(l -> l.host().equals("h5")).findFirst().orElseThrow();
        assertEquals(Set.of("h5-vm-0", "h5-vm-1", "h5-vm-2"), h5.guests().stream().map(g -> g.guest()).collect(Collectors.toSet()));

        send("h7", "cmd-1", migrate("h7-vm-0", "h7", "h3"));
        assertEquals(ResultStatus.SUCCEEDED, finalResult("cmd-1").status());
        assertEquals("h3", fabric.hostOf("h7-vm-0").orElseThrow());
        assertTrue(tap.all().stream().filter(s -> s.topic().equals(topics.commandResults()))
                .allMatch(s -> s.envelope().source().equals("agent:h7")), "only h7 answered");

        // The same id again, then a probe that h7 rejects: commands of one host are handled in order.
        send("h7", "cmd-1", migrate("h7-vm-0", "h7", "h3"));
        send("h7", "probe", migrate("h7-vm-1", "h7", "nowhere"));
        assertEquals(ResultStatus.REJECTED, finalResult("probe").status());
        assertEquals(1, results("cmd-1").stream().filter(r -> r.status() == ResultStatus.ACCEPTED).count());
        assertEquals(1, results("cmd-1").stream().filter(r -> r.status().isFinal()).count());
        assertEquals(1.0, agentMetrics.find("vb.agent.commands.duplicate").tag("host", "h7").counter().count());
        assertEquals(0.0, agentMetrics.find("vb.agent.commands.duplicate").tag("host", "h3").counter().count());

        // A command on the wrong host's topic is that host's to refuse.
        send("h2", "misrouted", migrate("h7-vm-1", "h7", "h3"));
        CommandResult misrouted = finalResult("misrouted");
        assertEquals(ResultStatus.REJECTED, misrouted.status());
        assertEquals("h2", misrouted.host());
        assertTrue(misrouted.reason().contains("reached the agent of h2"), misrouted.reason());
        assertEquals("h7", fabric.hostOf("h7-vm-1").orElseThrow());

        // Each host remembers its own command ids.
        assertTrue(executedLog("h7").contains("cmd-1") && executedLog("h7").contains("probe"));
        assertTrue(executedLog("h2").contains("misrouted") && !executedLog("h2").contains("cmd-1"));
        // h3 received a guest, no command of this test (the balancer may have moved a guest off it since: its own id).
        String h3 = executedLog("h3");
        assertTrue(List.of("cmd-1", "probe", "misrouted").stream().noneMatch(h3::contains), h3);
    }

    @Test
    void theBalancerRelievesAnOverloadedHostOfTheFleetThroughItsOwnCommandTopic() {
        await().atMost(WAIT).until(() -> balancer.snapshot().hosts().size() == HOSTS.size());

        fabric.loadHost("h4", 0.95);

        await().atMost(WAIT).untilAsserted(() -> {
            assertTrue(fabric.guests("h4").stream().filter(g -> g.state().isActive()).mapToDouble(g -> fabric.cpuCores(g.name()))
                    .sum() / CPUS <= ClusterFixture.testSettings().highWatermark(), "h4 relieved");
            assertFalse(balancer.snapshot().hosts().stream().anyMatch(h -> h.host().equals("h4") && h.overloaded()));
        });
        // Imbalance moves between the other hosts may come too; h4's relief is what this test follows.
        List<Envelope> moves = tap.envelopes(null, Migrate.class)
                .filter(e -> ((Migrate) e.body()).source().equals("h4")).toList();
        assertFalse(moves.isEmpty());
        for (Envelope e : moves) {
            Migrate m = (Migrate) e.body();
            await().atMost(WAIT).until(() -> results(e.id()).stream().anyMatch(r -> r.status().isFinal()));
            CommandResult done = results(e.id()).stream().filter(r -> r.status().isFinal()).findFirst().orElseThrow();
            assertEquals(ResultStatus.SUCCEEDED, done.status(), done.reason());
            assertEquals("h4", done.host());
            assertEquals(m.target(), fabric.hostOf(m.guest()).orElseThrow());
        }
        assertTrue(tap.all().stream().filter(s -> s.envelope() != null && s.envelope().body() instanceof Migrate)
                .allMatch(s -> s.topic().equals(topics.commands(((Migrate) s.envelope().body()).source()))),
                "every command went to its source host's own topic");
    }

    private static Migrate migrate(String guest, String source, String target) {
        return new Migrate(guest, source, target, MigrationMode.LIVE, MigrationOptions.move(),
                System.currentTimeMillis() + 600_000, "test");
    }

    private void send(String host, String id, Migrate command) throws Exception {
        byte[] value = codec.encode(Envelope.command(id, "balancer:test", 1, command, System.currentTimeMillis()));
        producer.send(new ProducerRecord<>(topics.commands(host), id, value)).get(30, TimeUnit.SECONDS);
    }

    private List<CommandResult> results(String commandId) {
        return tap.bodies(topics.commandResults(), CommandResult.class).stream().filter(r -> r.commandId().equals(commandId))
                .toList();
    }

    private CommandResult finalResult(String commandId) {
        await().atMost(WAIT).until(() -> results(commandId).stream().anyMatch(r -> r.status().isFinal()));
        return results(commandId).stream().filter(r -> r.status().isFinal()).findFirst().orElseThrow();
    }

    private String executedLog(String host) throws Exception {
        return Files.readString(state.resolve(host).resolve("executed-commands.log"), StandardCharsets.UTF_8);
    }
}
