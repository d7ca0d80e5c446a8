package org.virtbalancer.deploy.e2e;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Records everything written to a test's topics (its own prefix), from the beginning, on a
 * background thread — the test's window onto what agents and balancer said to each other.
 */
public final class TopicTap implements AutoCloseable {
    /** One record as seen on the wire; {@code envelope} is null when it did not decode. */
    public record Seen(String topic, String key, Envelope envelope, long seenAt) {}

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    public TopicTap(KafkaSettings kafka) {
        this(kafka, false);
    }

    /** @param committed read only committed transactions, as agents do (else everything written, aborted included) */
    public TopicTap(KafkaSettings kafka, boolean committed) {
        Map<String, Object> config = new HashMap<>(kafka.consumer("tap", kafka.topics().prefix() + "tap"
                + (committed ? "-committed" : "")));
        config.put("metadata.max.age.ms", "500");
        config.put("isolation.level", committed ? "read_committed" : "read_uncommitted");
        consumer = new KafkaConsumer<>(config);
        consumer.subscribe(Pattern.compile(Pattern.quote(kafka.topics().prefix()) + ".*"));
        Codec codec = new Codec();
        thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        Envelope env = codec.decode(r.value()) instanceof Decoded.Ok ok ? ok.envelope() : null;
                        seen.add(new Seen(r.topic(), r.key(), env, System.currentTimeMillis()));
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }, "topic-tap");
        thread.setDaemon(true);
        thread.start();
    }

    public List<Seen> all() {
        return List.copyOf(seen);
    }

    /** Bodies of type {@code type} seen on {@code topic} (or any topic when null). */
    public <T extends Message> List<T> bodies(String topic, Class<T> type) {
        return envelopes(topic, type).map(e -> type.cast(e.body())).toList();
    }

    public <T extends Message> Stream<Envelope> envelopes(String topic, Class<T> type) {
        return seen.stream().filter(s -> topic == null || s.topic().equals(topic))
                .map(Seen::envelope).filter(e -> e != null && type.isInstance(e.body()));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
