package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaSettingsTest {
    @Test
    void producersAreIdempotentWithAcksAllAndRideOutABrokerRestart() {
        Map<String, String> p = KafkaSettings.of("127.0.0.1:9092").producer("p");
        assertEquals("all", p.get("acks"));
        assertEquals("true", p.get("enable.idempotence"));
        long delivery = Long.parseLong(p.get("delivery.timeout.ms"));
        assertTrue(delivery >= 60_000, "a broker restart takes up to about 50 s: " + delivery);
        assertTrue(delivery >= Long.parseLong(p.get("linger.ms")) + 30_000, "Kafka requires linger + request timeout or more");
        assertEquals(String.valueOf(KafkaSettings.PRODUCER_BUFFER_BYTES), p.get("buffer.memory"));
        assertEquals("60000", p.get("max.block.ms"));
    }

    @Test
    void everyClientReconnectsWithBoundedBackoffAndConsumersCommitByHand() {
        KafkaSettings kafka = KafkaSettings.of("127.0.0.1:9092");
        for (Map<String, String> c : List.of(kafka.producer("p"), kafka.consumer("c", "g"), kafka.admin("a"))) {
            assertEquals("100", c.get("reconnect.backoff.ms"));
            assertEquals("1000", c.get("reconnect.backoff.max.ms"));
            assertEquals("100", c.get("retry.backoff.ms"));
            assertEquals("1000", c.get("retry.backoff.max.ms"));
        }
        Map<String, String> c = kafka.consumer("c", "g");
        assertEquals("false", c.get("enable.auto.commit"));
        assertEquals("read_committed", c.get("isolation.level"));
    }

    @Test
    void extraSettingsWinAndTheBufferSizeFollowsThem() {
        KafkaSettings kafka = new KafkaSettings("127.0.0.1:9092", Topics.defaults(), Map.of("buffer.memory", "1048576"));
        assertEquals(1_048_576, kafka.producerBufferBytes());
        assertEquals(KafkaSettings.PRODUCER_BUFFER_BYTES, KafkaSettings.of("127.0.0.1:9092").producerBufferBytes());
    }
}
