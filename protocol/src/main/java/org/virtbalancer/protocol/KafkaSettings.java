package org.virtbalancer.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * Kafka client configuration as plain strings, shared by every process so all of them get the
 * same reliability settings ({@code acks=all}, idempotence, manual commits, {@code read_committed}),
 * and ride out a broker restart by themselves: every client reconnects with exponential backoff
 * (100 ms doubling to 1 s, with Kafka's jitter); producers keep what they are given, and retry
 * it, for up to {@link #DELIVERY_TIMEOUT_MS} in a buffer of {@link #PRODUCER_BUFFER_BYTES}, then
 * fail it: a longer outage loses what waited longer than that.
 * {@code extra} passes straight through (TLS, SASL, timeouts) and wins over the defaults.
 *
 * @param bootstrapServers {@code host:port[,host:port]}
 * @param topics           topic names
 * @param extra            any other Kafka client properties
 */
public record KafkaSettings(String bootstrapServers, Topics topics, Map<String, String> extra) {
    /**
     * How long a producer keeps retrying a record before it fails it: longer than a broker restart
     * (a single-node broker until produce works again: 14 s at 2,000 topics, 21-28 s at 5,000 and
     * about 50 s there after a crash; measured here).
     */
    public static final long DELIVERY_TIMEOUT_MS = 120_000;
    /**
     * Most a producer's {@code send} may block its caller (the Vert.x client's own worker thread):
     * when the buffer is full, or a topic's partitions are unknown while no broker answers.
     */
    public static final long MAX_BLOCK_MS = 60_000;
    /**
     * Records not yet acknowledged that one producer holds, in bytes: twice Kafka's default, so an
     * agent fleet of 2,000 hosts (about 0.75 MB/s of samples and inventories) rides out about a
     * minute without a broker (agents keep three quarters of it for what a later message replaces).
     * Taken from the heap only as needed.
     */
    public static final long PRODUCER_BUFFER_BYTES = 64L * 1024 * 1024;

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
        c.put("delivery.timeout.ms", String.valueOf(DELIVERY_TIMEOUT_MS));
        c.put("max.block.ms", String.valueOf(MAX_BLOCK_MS));
        c.put("buffer.memory", String.valueOf(PRODUCER_BUFFER_BYTES));
        c.putAll(extra);
        return c;
    }

    /** The producers' buffer in bytes: {@code buffer.memory}, as {@code extra} may have set it. */
    public long producerBufferBytes() {
        String value = producer("buffer-size").get("buffer.memory");
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("buffer.memory must be a number of bytes, got '" + value + "'", e);
        }
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
        // Per-partition client metrics cost seconds with thousands of command topics (measured here).
        c.put("metric.reporters", "");
        c.put("enable.metrics.push", "false");
        // While a broker is away: try again soon, then at most once a second (Kafka adds 20% jitter).
        c.put("reconnect.backoff.ms", "100");
        c.put("reconnect.backoff.max.ms", "1000");
        c.put("retry.backoff.ms", "100");
        c.put("retry.backoff.max.ms", "1000");
        return c;
    }
}
