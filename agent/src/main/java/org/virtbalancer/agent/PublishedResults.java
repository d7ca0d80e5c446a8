package org.virtbalancer.agent;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.KafkaSettings;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Which of some commands already have a final result on the command-results topic: asked at start
 * for commands whose final result an earlier run began to publish ({@code R} line in
 * {@link ExecutedCommands}) but never noted done, so that a crash between the two cannot produce a
 * second final result. Reads every partition of the topic from the earliest time any of them
 * began reporting (less a margin for clock steps; the result's timestamp is taken by the producer
 * after the R line was written, on the same clock) to the end the topic had when asked. Blocking:
 * call it from a worker thread.
 */
final class PublishedResults {
    /** Tolerates this much of a step back in the machine's clock between the R line and the send. */
    static final long CLOCK_MARGIN_MS = 60_000;

    /** A command to look for: its final result from {@code host}, published at {@code sinceMs} or later. */
    record Query(String commandId, String host, long sinceMs) {}

    private PublishedResults() {}

    /** The ids among {@code queries} that have a final result on the topic. */
    static Set<String> find(KafkaSettings kafka, String clientId, List<Query> queries, Duration timeout)
            throws TimeoutException {
        if (queries.isEmpty()) {
            return Set.of();
        }
        Map<String, Query> byId = queries.stream().collect(Collectors.toMap(Query::commandId, q -> q, (a, b) -> a));
        long from = queries.stream().mapToLong(Query::sinceMs).min().orElseThrow() - CLOCK_MARGIN_MS;
        String topic = kafka.topics().commandResults();
        Codec codec = new Codec();
        Set<String> found = new HashSet<>();
        long giveUp = System.nanoTime() + timeout.toNanos();
        // No group membership and no commits: a private read of the topic.
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(new HashMap<>(kafka.consumer(clientId, clientId)))) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(tp -> times.put(tp, Math.max(0, from)));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times, timeout);
            Map<TopicPartition, Long> pending = new HashMap<>();
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp start = starts.get(tp);
                long end = ends.getOrDefault(tp, 0L);
                if (start != null && start.offset() < end) {
                    pending.put(tp, end);
                }
            }
            consumer.assign(pending.keySet());
            pending.keySet().forEach(tp -> consumer.seek(tp, starts.get(tp).offset()));
            while (!pending.isEmpty()) {
                if (System.nanoTime() > giveUp) {
                    throw new TimeoutException("could not read " + topic + " to its end within " + timeout
                            + " to check for results published before the restart");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Query q = r.key() == null ? null : byId.get(r.key());
                    if (q != null && r.value() != null && codec.decode(r.value()) instanceof Decoded.Ok ok
                            && ok.envelope().body() instanceof CommandResult result && result.commandId().equals(q.commandId())
                            && result.host().equals(q.host()) && result.status().isFinal()) {
                        found.add(q.commandId());
                    }
                }
                pending.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
        return found;
    }
}
