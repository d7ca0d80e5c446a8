package org.virtbalancer.deploy.fault;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Everything written to the cluster's topics, from the beginning, read on a background thread by a
 * plain consumer that, like the processes under test, rides out the broker's outages by itself.
 * {@link #readAll} reads the topics once more, whole, for the final verdict.
 */
final class TopicTap implements AutoCloseable {
    /** One record as seen on the wire; {@code envelope} is null when it did not decode. */
    record Seen(String topic, int partition, long offset, String key, Envelope envelope, long seenAt) {}

    private static final Codec CODEC = new Codec();

    private final Topics topics;
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Envelope> commands = new CopyOnWriteArrayList<>();
    private final Map<String, List<Envelope>> samples = new ConcurrentHashMap<>();
    private final Map<String, List<CommandResult>> finals = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    TopicTap(KafkaSettings kafka) {
        topics = kafka.topics();
        consumer = new KafkaConsumer<>(config(kafka, "tap"));
        consumer.subscribe(Pattern.compile(Pattern.quote(topics.prefix()) + ".*"));
        thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        add(toSeen(r));
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

    private void add(Seen s) {
        seen.add(s);
        Envelope e = s.envelope();
        if (e == null) {
            return;
        }
        if (s.topic().startsWith(topics.prefix() + "commands.") && (e.body() instanceof Migrate || e.body() instanceof Abort)) {
            commands.add(e);
        } else if (s.topic().equals(topics.hostLoad()) && e.body() instanceof HostLoad l) {
            samples.computeIfAbsent(l.host(), h -> new CopyOnWriteArrayList<>()).add(e);
        } else if (s.topic().equals(topics.commandResults()) && e.body() instanceof CommandResult r && r.status().isFinal()) {
            finals.computeIfAbsent(r.commandId(), c -> new CopyOnWriteArrayList<>()).add(r);
        }
    }

    List<Seen> all() {
        return List.copyOf(seen);
    }

    /** Migrate and Abort commands on every host's command topic. */
    List<Envelope> commands() {
        return List.copyOf(commands);
    }

    List<Envelope> samples(String host) {
        return List.copyOf(samples.getOrDefault(host, List.of()));
    }

    List<CommandResult> finalResults(String commandId) {
        return List.copyOf(finals.getOrDefault(commandId, List.of()));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }

    /** Every record of every topic with the cluster's prefix, from the beginning to the current end. */
    static List<Seen> readAll(KafkaSettings kafka) {
        List<Seen> all = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config(kafka, "final-read"))) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (Map.Entry<String, List<PartitionInfo>> t : c.listTopics(Duration.ofSeconds(30)).entrySet()) {
                if (t.getKey().startsWith(kafka.topics().prefix())) {
                    t.getValue().forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
                }
            }
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofSeconds(30));
            long giveUp = System.currentTimeMillis() + 60_000;
            while (partitions.stream().anyMatch(tp -> c.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.currentTimeMillis() > giveUp) {
                    throw new IllegalStateException("could not read the topics to their end within 60 s");
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    all.add(toSeen(r));
                }
            }
        }
        return all;
    }

    private static Map<String, Object> config(KafkaSettings kafka, String name) {
        Map<String, Object> config = new HashMap<>(kafka.consumer("broker-restart-" + name, "broker-restart-" + name));
        config.put("metadata.max.age.ms", "500");
        // read_committed (from KafkaSettings), as the agents read: a leader's aborted transaction never reached them.
        return config;
    }

    private static Seen toSeen(ConsumerRecord<String, byte[]> r) {
        Envelope env = r.value() != null && CODEC.decode(r.value()) instanceof Decoded.Ok ok ? ok.envelope() : null;
        return new Seen(r.topic(), r.partition(), r.offset(), r.key(), env, System.currentTimeMillis());
    }
}
