package org.virtbalancer.deploy.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.KafkaSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real three-node KRaft cluster in child JVMs: a topic replicated three times keeps taking
 * transactional acks=all writes after the node leading its partition is killed, and a read_committed
 * consumer reads every record, before and after the kill. Logs stay in {@code deploy/target/kafka-cluster/run-*}.
 */
class KafkaClusterTest {
    private static final String TOPIC = "cluster-test";
    private static final int RECORDS = 20;

    @Test
    void aTopicReplicatedThreeTimesCommitsAndReadsEveryRecordAfterItsLeaderIsKilled() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "kafka-cluster").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        try (KafkaCluster cluster = KafkaCluster.create(run, 3)) {
            cluster.startAll();
            assertEquals(List.of(1, 2, 3), cluster.running());
            KafkaSettings kafka = KafkaSettings.of(cluster.bootstrapServers());
            try (Admin admin = Admin.create(new HashMap<>(kafka.admin("cluster-test-admin")))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3))).all().get(60, TimeUnit.SECONDS);
                assertEquals(3, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
                assertEquals(3, admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC)
                        .partitions().get(0).isr().size());
            }
            assertTrue(cluster.nodeIds().contains(cluster.activeController()));

            Map<String, Object> producerConfig = new HashMap<>(kafka.producer("cluster-test-producer"));
            producerConfig.put("transactional.id", "cluster-test-tx");
            List<String> sent = new ArrayList<>();
            int leader;
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
                producer.initTransactions();
                sendCommitted(producer, "before", sent);

                leader = cluster.leaderOf(TOPIC, 0);
                assertTrue(cluster.nodeIds().contains(leader), "leader " + leader);
                cluster.kill(leader);
                assertFalse(cluster.isRunning(leader));
                // The controller fences the dead node once its session expires and elects one of the two left.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> cluster.leaderOf(TOPIC, 0), l -> l != leader && l != -1);

                sendCommitted(producer, "after", sent);
            }

            assertEquals(sent, readCommitted(kafka), "read_committed sees every committed record once, in order");
            assertNotEquals(leader, cluster.leaderOf(TOPIC, 0));

            cluster.start(leader);
            assertEquals(List.of(1, 2, 3), cluster.running());
        }
    }

    /** Sends {@link #RECORDS} records in one transaction and commits it; every send's future must succeed. */
    private static void sendCommitted(KafkaProducer<String, byte[]> producer, String phase, List<String> sent) throws Exception {
        producer.beginTransaction();
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            String value = phase + "-" + i;
            acks.add(producer.send(new ProducerRecord<>(TOPIC, value, value.getBytes(StandardCharsets.UTF_8))));
            sent.add(value);
        }
        producer.commitTransaction();
        for (java.util.concurrent.Future<?> ack : acks) {
            ack.get(0, TimeUnit.SECONDS); // done by commit: it flushes, and throws if any send failed
        }
    }

    private static List<String> readCommitted(KafkaSettings kafka) {
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(new HashMap<>(
                kafka.consumer("cluster-test-consumer", "cluster-test-group")))) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                }
                return read.size() >= 2 * RECORDS;
            });
            // Nothing more arrives: no record was written twice.
            consumer.poll(Duration.ofSeconds(1)).forEach(r -> read.add(new String(r.value(), StandardCharsets.UTF_8)));
        }
        return read;
    }
}
