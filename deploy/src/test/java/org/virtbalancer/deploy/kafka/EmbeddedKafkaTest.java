package org.virtbalancer.deploy.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.protocol.KafkaSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(Broker.class)
class EmbeddedKafkaTest {
    @Test
    void brokerAcceptsTopicsAndRoundTripsRecords(EmbeddedKafka kafka) throws Exception {
        KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
        Map<String, Object> admin = new java.util.HashMap<>(settings.admin("t-admin"));
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic("roundtrip", 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(new java.util.HashMap<>(settings.producer("t-p")))) {
            for (int i = 0; i < 3; i++) {
                p.send(new ProducerRecord<>("roundtrip", "k" + i, ("v" + i).getBytes())).get();
            }
        }
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(new java.util.HashMap<>(settings.consumer("t-c", "t-g")))) {
            c.subscribe(Set.of("roundtrip"));
            long end = System.currentTimeMillis() + 30_000;
            while (seen.size() < 3 && System.currentTimeMillis() < end) {
                ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(200));
                records.forEach(r -> seen.add(r.key() + "=" + new String(r.value())));
            }
        }
        assertEquals(List.of("k0=v0", "k1=v1", "k2=v2"), seen);
    }
}
