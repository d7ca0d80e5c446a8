package org.virtbalancer.deploy.agent;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** Reads topics from their beginning on a background thread and keeps every decoded message, for assertions. */
final class TopicTap implements AutoCloseable {
    record Seen(String topic, String key, Envelope envelope) {}

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    TopicTap(KafkaSettings settings, List<String> topics) {
        Map<String, Object> props = new HashMap<>(settings.consumer("tap-" + UUID.randomUUID(), "tap-" + UUID.randomUUID()));
        props.put("isolation.level", "read_uncommitted");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String t : topics) {
            consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(t, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Codec codec = new Codec();
        thread = new Thread(() -> {
            try (consumer) {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (r.value() != null && codec.decode(r.value()) instanceof Decoded.Ok ok) {
                            seen.add(new Seen(r.topic(), r.key(), ok.envelope()));
                        }
                    }
                }
            }
        }, "topic-tap");
        thread.setDaemon(true);
        thread.start();
    }

    <T extends Message> Stream<T> bodies(String topic, Class<T> type) {
        return seen.stream().filter(s -> s.topic().equals(topic) && type.isInstance(s.envelope().body()))
                .map(s -> type.cast(s.envelope().body()));
    }

    List<Seen> all() {
        return List.copyOf(seen);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
