package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.deploy.libvirt.LibvirtTestbed;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The real agent (libvirt driver) for both test-bed hosts, optionally with the real balancer, on
 * the shared broker under a fresh topic prefix. Tests drive it only through Kafka, as the
 * balancer would, and check the outcome with libvirt itself.
 */
final class RealHostsFixture implements AutoCloseable {
    final LibvirtTestbed bed;
    final KafkaSettings kafka;
    final Topics topics;
    final TopicTap tap;
    final LocalCluster cluster;
    private final KafkaProducer<String, byte[]> producer;
    private final Codec codec = new Codec();

    RealHostsFixture(EmbeddedKafka broker, LibvirtTestbed bed, boolean withBalancer) throws Exception {
        this.bed = bed;
        this.topics = new Topics("lv" + UUID.randomUUID().toString().substring(0, 8) + ".");
        this.kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        this.producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-balancer")));
        var state = Files.createTempDirectory("vb-real-");
        BalancerConfig balancer = withBalancer
                // Both test-bed hosts are one machine: each reports that machine's CPU, which the other tests and
                // QEMU's emulation keep busy (a loaded CI runner reads near 100 %). Placement here is judged by
                // memory and the rules, not by CPU: no host counts as overloaded and no target as too busy.
                ? BalancerConfig.of("t1", kafka).withSettings(BalancerSettings.defaults().withWatermarks(10, 9)
                        .withHostStaleAfter(Duration.ofSeconds(10)).withMinDeadline(Duration.ofSeconds(60)))
                        .withTick(Duration.ofMillis(250))
                : null;
        this.cluster = LocalCluster.start(balancer, List.of(LibvirtTestbed.HOST_A, LibvirtTestbed.HOST_B),
                host -> new LibvirtDriver(LibvirtDriverConfig.of(host, bed.uri(host))
                        .withMigrationAddress(bed.migrationAddress(host))
                        .withPollInterval(Duration.ofMillis(200))),
                host -> AgentConfig.of(host, kafka, state.resolve(host))
                        .withSampleInterval(Duration.ofMillis(500))
                        .withInventoryInterval(Duration.ofSeconds(5))
                        .withProgressInterval(Duration.ofMillis(200)),
                new SimpleMeterRegistry());
        this.tap = new TopicTap(kafka);
    }

    /** Sends a Migrate from A to B (or back) as the balancer would; returns the command id. */
    String migrate(String guest, String from, String to, MigrationMode mode, MigrationOptions options) throws Exception {
        String id = UUID.randomUUID().toString();
        Migrate m = new Migrate(guest, from, to, mode, options, System.currentTimeMillis() + 120_000, "test");
        command(from, id, m);
        return id;
    }

    void abort(String host, String commandId, String guest) throws Exception {
        command(host, UUID.randomUUID().toString(), new Abort(commandId, guest, "test aborts it"));
    }

    private void command(String host, String id, Message body) throws Exception {
        Envelope env = Envelope.command(id, "balancer:test", 1, body, System.currentTimeMillis());
        producer.send(new ProducerRecord<>(topics.commands(host), id, codec.encode(env))).get(30, TimeUnit.SECONDS);
    }

    void control(String key, Message body) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), key,
                codec.encode(Envelope.of("operator:test", body, System.currentTimeMillis())))).get(30, TimeUnit.SECONDS);
    }

    /** Waits for the command's final result. */
    CommandResult finalResult(String commandId, Duration within) {
        return await().atMost(within).until(() -> lastResult(commandId).filter(r -> r.status().isFinal()),
                Optional::isPresent).orElseThrow();
    }

    Optional<CommandResult> lastResult(String commandId) {
        List<CommandResult> rs = tap.bodies(topics.commandResults(), CommandResult.class).stream()
                .filter(r -> r.commandId().equals(commandId)).toList();
        return rs.isEmpty() ? Optional.empty() : Optional.of(rs.get(rs.size() - 1));
    }

    List<CommandResult> results(String commandId) {
        return tap.bodies(topics.commandResults(), CommandResult.class).stream()
                .filter(r -> r.commandId().equals(commandId)).toList();
    }

    /** Waits until both agents have published their inventory, so each knows the other as a target. */
    void awaitAgentsKnowEachOther() {
        await().atMost(Duration.ofSeconds(30)).until(() -> tap.envelopes(topics.inventory(),
                org.virtbalancer.protocol.Inventory.class).map(e -> ((org.virtbalancer.protocol.Inventory) e.body()).facts().host())
                .distinct().count() == 2);
    }

    @Override
    public void close() throws Exception {
        try {
            tap.close();
            producer.close();
            cluster.close();
        } finally {
            bed.clean();
        }
    }
}
