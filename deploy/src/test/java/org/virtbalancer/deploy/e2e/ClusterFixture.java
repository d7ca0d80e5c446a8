package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Topics;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A balancer and simulated agents on the shared real broker, isolated by a fresh topic prefix;
 * plus a tap on every topic and a raw producer for operators' (and attackers') messages.
 */
final class ClusterFixture implements AutoCloseable {
    final KafkaSettings kafka;
    final Topics topics;
    final SimulatedFabric fabric;
    final TopicTap tap;
    final LocalCluster cluster;
    private final KafkaProducer<String, byte[]> producer;
    private final Codec codec = new Codec();

    /** Fast settings for tests: 250 ms samples, 3 of 5 to confirm overload. */
    static BalancerSettings testSettings() {
        return BalancerSettings.defaults()
                .withHostStaleAfter(Duration.ofSeconds(5))
                .withMinDeadline(Duration.ofSeconds(30));
    }

    ClusterFixture(EmbeddedKafka broker, SimulatedFabric fabric, BalancerSettings settings) throws Exception {
        this(broker, fabric, settings, ApiEndpoint.OFF);
    }

    /** With the balancer's HTTP API on {@code api} (port 0: any free port; see {@link #apiUrl()}). */
    ClusterFixture(EmbeddedKafka broker, SimulatedFabric fabric, BalancerSettings settings, ApiEndpoint api)
            throws Exception {
        this(broker.bootstrapServers(), freshTopics(), fabric, settings, api);
    }

    /** A fresh topic prefix, so tests on one broker never see each other's messages. */
    static Topics freshTopics() {
        return new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".");
    }

    /** On Kafka at {@code bootstrap} (any cluster), under {@code topics} (made beforehand, or by the balancer). */
    ClusterFixture(String bootstrap, Topics topics, SimulatedFabric fabric, BalancerSettings settings, ApiEndpoint api)
            throws Exception {
        this.topics = topics;
        this.kafka = KafkaSettings.of(bootstrap).withTopics(topics);
        this.fabric = fabric;
        Path state = Files.createTempDirectory("vb-e2e-");
        this.producer = new KafkaProducer<>(new HashMap<>(kafka.producer("test-operator")));
        this.cluster = LocalCluster.start(
                BalancerConfig.of("t1", kafka).withSettings(settings).withTick(Duration.ofMillis(250)).withApi(api),
                fabric, fabric.hosts(),
                host -> AgentConfig.of(host, kafka, state.resolve(host))
                        .withSampleInterval(Duration.ofMillis(250))
                        .withInventoryInterval(Duration.ofSeconds(5))
                        .withProgressInterval(Duration.ofMillis(200)),
                new SimpleMeterRegistry());
        this.tap = new TopicTap(kafka);
    }

    /** Sends a control message as an operator would (key = host for the compacted topic). */
    void control(String key, Message body) throws Exception {
        send(topics.control(), key, codec.encode(Envelope.of("operator:test", body, System.currentTimeMillis())));
    }

    void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    void sendRaw(String topic, String key, String value) throws Exception {
        send(topic, key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The balancer's API address; fails when the fixture was started without one. */
    String apiUrl() {
        return cluster.balancer().apiUrl().orElseThrow(() -> new IllegalStateException("started without an API"));
    }

    List<String> hosts() {
        return fabric.hosts();
    }

    @Override
    public void close() throws Exception {
        try {
            tap.close();
            producer.close();
        } finally {
            cluster.close();
        }
    }
}
