package org.virtbalancer.deploy.fault;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.deploy.kafka.KafkaCluster;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a three-broker cluster with the topics {@code vbal topics create --replication-factor 3} makes
 * (min.insync.replicas 2), a producer with the project's settings ({@link KafkaSettings#producer}, its delivery timeout cut to 20 s,
 * acks=all) is never acknowledged while only one broker is left: the broker refuses each try with
 * NotEnoughReplicas and the send's future fails at the delivery timeout (the producer's TimeoutException,
 * or NotEnoughReplicas itself). And a real agent (AgentVerticle, simulated
 * hosts) that samples all along publishes its samples again by itself once a second broker is back:
 * same deployment, no restart. Broker logs stay in {@code deploy/target/too-few-replicas/run-*}.
 */
class TooFewReplicasTest {
    private static final List<String> HOSTS = List.of("h1", "h2");
    private static final Duration SAMPLE_INTERVAL = Duration.ofMillis(500);
    private static final long PROBE_DELIVERY_TIMEOUT_MS = 20_000;

    @Test
    void acksAllFailsLoudlyWithOneBrokerOfThreeAndTheAgentCarriesOnWhenASecondReturns() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "too-few-replicas").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        try (KafkaCluster cluster = KafkaCluster.create(run, 3)) {
            cluster.startAll();
            Topics topics = new Topics("tf" + UUID.randomUUID().toString().substring(0, 8) + ".");
            KafkaSettings kafka = KafkaSettings.of(cluster.bootstrapServers()).withTopics(topics);
            ReplicatedTopics.create(kafka, HOSTS);
            // The project's producer settings with a shorter delivery timeout (20 s instead of 120 s), so that the
            // test does not wait two minutes for the same loud failure.
            KafkaSettings probe = new KafkaSettings(kafka.bootstrapServers(), topics,
                    Map.of("delivery.timeout.ms", String.valueOf(PROBE_DELIVERY_TIMEOUT_MS), "request.timeout.ms", "10000"));
            String probeTopic = topics.decisions(); // one partition, replicated 3 times, min.insync.replicas 2

            SimulatedFabric.Builder fabricBuilder = SimulatedFabric.builder();
            for (String h : HOSTS) {
                fabricBuilder.host(HostSpec.of(h)).guest(h, GuestSpec.of(h + "-vm"));
            }
            SimulatedFabric fabric = fabricBuilder.build();
            // Closed before the brokers: stopping agents flush their producers.
            Vertx vertx = Vertx.vertx();
            try {
                List<String> deployments = new ArrayList<>();
                for (String h : HOSTS) {
                    AgentConfig config = AgentConfig.of(h, kafka, run.resolve("agent-" + h)).withSampleInterval(SAMPLE_INTERVAL)
                            .withStopGracePeriod(Duration.ofSeconds(1));
                    deployments.add(vertx.deployVerticle(new AgentVerticle(config, fabric.driver(h), new SimpleMeterRegistry()))
                            .await(60, TimeUnit.SECONDS));
                }
                try (TopicTap tap = new TopicTap(kafka);
                     KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new HashMap<>(probe.producer("too-few-replicas")))) {
                    await().atMost(Duration.ofSeconds(90)).until(() -> HOSTS.stream().allMatch(h -> tap.samples(h).size() >= 3));
                    producer.send(record(probeTopic, "before")).get(60, TimeUnit.SECONDS);

                    // Leave only the node leading the probe's partition: each of the others stops cleanly, so the
                    // controller (still with a quorum of two for the first stop) takes it out of every ISR.
                    int survivor = cluster.leaderOf(probeTopic, 0);
                    List<Integer> stopped = cluster.nodeIds().stream().filter(n -> n != survivor).toList();
                    stopped.forEach(cluster::stop);
                    assertEquals(List.of(survivor), cluster.running());

                    long sentAt = System.nanoTime();
                    Future<RecordMetadata> ack = producer.send(record(probeTopic, "alone"));
                    await().atMost(Duration.ofMillis(PROBE_DELIVERY_TIMEOUT_MS).plusSeconds(60))
                            .pollInterval(Duration.ofMillis(200)).until(ack::isDone);
                    long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);
                    ExecutionException failure = assertThrows(ExecutionException.class, ack::get,
                            "a record sent with one broker of three left must not be acknowledged");
                    Throwable cause = failure.getCause();
                    assertTrue(cause instanceof NotEnoughReplicasException || cause instanceof NotEnoughReplicasAfterAppendException
                            || cause instanceof TimeoutException, "failed with " + cause);

                    // The producer's retries end in a timeout; what the broker answered them with is in its log.
                    String survivorLog = Files.readString(cluster.node(survivor).log());
                    assertTrue(survivorLog.contains("NotEnoughReplicasException: The size of the current ISR : 1 is insufficient"
                            + " to satisfy the min.isr requirement of 2 for partition " + probeTopic + "-0"),
                            "the last broker refused the write for want of replicas in sync; see " + cluster.node(survivor).log());

                    // A second broker returns: two replicas in sync again, and the same agents' samples flow.
                    int back = stopped.get(0);
                    cluster.start(back);
                    long backAt = System.currentTimeMillis();
                    producer.send(record(probeTopic, "two again")).get(PROBE_DELIVERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    await().atMost(Duration.ofSeconds(120)).until(() -> HOSTS.stream().allMatch(h ->
                            tap.samples(h).stream().filter(e -> e.ts() > backAt).count() >= 3));
                    long firstAfter = HOSTS.stream().mapToLong(h -> tap.samples(h).stream().mapToLong(Envelope::ts)
                            .filter(ts -> ts > backAt).min().orElseThrow()).max().orElseThrow();
                    assertTrue(vertx.deploymentIDs().containsAll(deployments), "the agents were never redeployed");
                    System.out.printf(Locale.ROOT, "too few replicas: acks=all send failed after %d ms with %s;"
                                    + " node %d back, every host's samples stamped again within %d ms of its start%n",
                            failedAfterMs, cause.getClass().getSimpleName(), back, firstAfter - backAt);
                }
            } finally {
                vertx.close().await(60, TimeUnit.SECONDS);
            }
        }
    }

    private static ProducerRecord<String, byte[]> record(String topic, String value) {
        return new ProducerRecord<>(topic, "probe", value.getBytes(StandardCharsets.UTF_8));
    }
}
