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

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChildKafkaTest {
    @Test
    void keepsItsRecordsAndPortAcrossACleanStopAndACrash() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (ChildKafka broker = ChildKafka.create(Files.createTempDirectory("vb-child-kafka-test-"), true, classpath,
                ChildKafka.DEFAULT_JVM_OPTIONS)) {
            Duration cold = broker.start();
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            try (Admin admin = Admin.create(new HashMap<>(kafka.admin("t-admin")))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
            }
            produce(kafka, "before-stop");

            Duration stop = broker.stop();
            assertFalse(broker.isRunning());
            Duration restart = broker.start();
            produce(kafka, "after-stop");

            Duration kill = broker.kill();
            Duration recover = broker.start();
            assertEquals(List.of("before-stop", "after-stop"), readAll(kafka));
            System.out.printf("child broker: cold start %d ms, SIGTERM stop %d ms, restart %d ms, SIGKILL %d ms,"
                    + " start after the crash %d ms%n", cold.toMillis(), stop.toMillis(), restart.toMillis(), kill.toMillis(),
                    recover.toMillis());
            assertTrue(broker.isRunning());
        }
    }

    private static void produce(KafkaSettings kafka, String value) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(new HashMap<>(kafka.producer("t-p")))) {
            p.send(new ProducerRecord<>("kept", "k", value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static List<String> readAll(KafkaSettings kafka) {
        Map<String, Object> config = new HashMap<>(kafka.consumer("t-c", "t-g"));
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config)) {
            TopicPartition tp = new TopicPartition("kept", 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            while (c.position(tp) < end) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    seen.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return seen;
    }
}
