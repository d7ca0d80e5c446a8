package org.virtbalancer.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * Kafka client configuration as plain strings, shared by every process so all of them get the
 * same reliability settings ({@code acks=all}, idempotence, manual commits, {@code read_committed}).
 * {@code extra} passes straight through (TLS, SASL, timeouts) and wins over the defaults.
 *
 * @param bootstrapServers {@code host:port[,host:port]}
 * @param topics           topic names
 * @param extra            any other Kafka client properties
 */
public record KafkaSettings(String bootstrapServers, Topics topics, Map<String, String> extra) {
    public KafkaSettings {
        Check.text("bootstrapServers", bootstrapServers);
        Check.present("topics", topics);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, Topics.defaults(), Map.of());
    }

    public KafkaSettings withTopics(Topics newTopics) {
        return new KafkaSettings(bootstrapServers, newTopics, extra);
    }

    /** Producer: String keys, byte[] values, acks=all, idempotent. */
    public Map<String, String> producer(String clientId) {
        Map<String, String> c = common(clientId);
        c.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        c.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        c.put("acks", "all");
        c.put("enable.idempotence", "true");
        c.put("linger.ms", "5");
        c.put("delivery.timeout.ms", "120000");
        c.putAll(extra);
        return c;
    }

    /** Consumer in {@code groupId}: commits after handling, reads only committed transactions. */
    public Map<String, String> consumer(String clientId, String groupId) {
        Map<String, String> c = common(clientId);
        c.put("group.id", groupId);
        c.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        c.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        c.put("isolation.level", "read_committed");
        // New per-host command topics must be seen quickly by regex subscriptions.
        c.put("metadata.max.age.ms", "5000");
        c.put("max.poll.records", "500");
        c.putAll(extra);
        return c;
    }

    /** Admin client. */
    public Map<String, String> admin(String clientId) {
        Map<String, String> c = common(clientId);
        c.putAll(extra);
        return c;
    }

    private Map<String, String> common(String clientId) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrapServers);
        c.put("client.id", clientId);
        // Per-partition client metrics cost seconds with thousands of command topics (FACTS.md).
        c.put("metric.reporters", "");
        c.put("enable.metrics.push", "false");
        return c;
    }
}
