package org.virtbalancer.agent;

import io.vertx.core.Future;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the command topics of this process's hosts through one consumer and hands each record to
 * its host's {@link HostCommands}: one record at a time and in order per host, hosts side by side.
 * A record's offset is committed only after its host's decision is on disk and published.
 */
final class CommandIntake {
    private static final Logger LOG = LoggerFactory.getLogger(CommandIntake.class);
    /** Records handed over by the consumer but not yet handled; above this the consumer pauses. */
    private static final int MAX_PENDING = 100;

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, HostCommands> byTopic = new HashMap<>();
    /** Per command topic: the handling of its latest record; the next one waits for it. */
    private final Map<String, Future<Void>> tails = new HashMap<>();
    private int pending;
    private boolean paused;

    CommandIntake(KafkaConsumer<String, byte[]> consumer, List<HostCommands> hosts) {
        this.consumer = consumer;
        hosts.forEach(h -> byTopic.put(h.topic(), h));
    }

    /** Joins the consumer group for the hosts' topics: one host per process, as on a real hypervisor. */
    Future<Void> subscribe() {
        listen();
        return consumer.subscribe(byTopic.keySet());
    }

    /**
     * Reads exactly these partitions, outside group membership: a process running thousands of
     * simulated hosts gets no rebalances, and hosts may move between such processes keeping their offsets.
     */
    Future<Void> assign(Set<TopicPartition> partitions) {
        listen();
        return consumer.assign(partitions);
    }

    /** Stops reading and lets the commands being handled finish. */
    Future<Void> stop() {
        return consumer.close().recover(e -> Future.succeededFuture())
                .compose(v -> Future.join(List.copyOf(tails.values())).<Void>mapEmpty().recover(e -> Future.succeededFuture()));
    }

    private void listen() {
        consumer.exceptionHandler(e -> LOG.warn("command consumer: {}", e.toString()));
        consumer.handler(this::onRecord);
    }

    private void onRecord(KafkaConsumerRecord<String, byte[]> record) {
        HostCommands host = byTopic.get(record.topic());
        if (host == null) {
            LOG.warn("ignoring a record on {}: no host of this agent reads that topic", record.topic());
            return;
        }
        if (++pending >= MAX_PENDING && !paused) {
            paused = true;
            consumer.pause();
        }
        Future<Void> tail = tails.getOrDefault(record.topic(), Future.succeededFuture())
                .compose(v -> host.handle(record))
                .recover(e -> {
                    LOG.error("command at {}-{}@{} could not be handled; skipping it", record.topic(), record.partition(),
                            record.offset(), e);
                    return Future.succeededFuture();
                })
                .compose(v -> commit(record))
                .onComplete(x -> {
                    if (--pending < MAX_PENDING / 10 && paused) {
                        paused = false;
                        consumer.resume();
                    }
                });
        tails.put(record.topic(), tail);
    }

    private Future<Void> commit(KafkaConsumerRecord<String, byte[]> record) {
        return consumer.commit(Map.of(new TopicPartition(record.topic(), record.partition()),
                        new OffsetAndMetadata(record.offset() + 1, "")))
                .<Void>mapEmpty()
                .recover(e -> {
                    // Harmless: a redelivered command is recognised as a duplicate.
                    LOG.warn("could not commit command offset {}: {}", record.offset(), e.toString());
                    return Future.succeededFuture();
                });
    }
}
