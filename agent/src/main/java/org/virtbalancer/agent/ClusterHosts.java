package org.virtbalancer.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Inventory;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster's hosts and their facts, read from the compacted inventory topic: the only place a
 * migration target may come from. Reads from the beginning in a fresh group at every start and
 * never commits, so it always holds the latest inventory of every host.
 */
final class ClusterHosts {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterHosts.class);
    /** If the end offsets are never reached (e.g. the last record was a transaction marker), go on anyway. */
    private static final long CATCH_UP_TIMEOUT_MS = 20_000;

    private final Vertx vertx;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Codec codec;
    private final DeadLetters deadLetters;
    private final String topic;
    private final Map<String, HostFacts> hosts = new HashMap<>();
    private final Map<Integer, Long> endOffsets;
    private final Promise<Void> caughtUp = Promise.promise();

    /**
     * @param endOffsets the topic's end offset per partition when the agent started: reading up to
     *                   them means the agent knows every host that existed then
     */
    ClusterHosts(Vertx vertx, KafkaConsumer<String, byte[]> consumer, Codec codec, DeadLetters deadLetters, String topic,
                 Map<Integer, Long> endOffsets) {
        this.vertx = vertx;
        this.consumer = consumer;
        this.codec = codec;
        this.deadLetters = deadLetters;
        this.topic = topic;
        this.endOffsets = new HashMap<>(endOffsets);
        this.endOffsets.values().removeIf(end -> end <= 0);
    }

    /**
     * Starts reading; the future completes once the inventory present at start has been read.
     *
     * @param own the facts of this process's own hosts, known before their inventory is read back
     */
    Future<Void> start(Collection<HostFacts> own) {
        own.forEach(f -> hosts.put(f.host(), f));
        consumer.exceptionHandler(e -> LOG.warn("inventory consumer: {}", e.toString()));
        consumer.handler(this::onRecord);
        if (endOffsets.isEmpty()) {
            caughtUp.tryComplete();
        }
        long timer = vertx.setTimer(CATCH_UP_TIMEOUT_MS, id -> {
            if (caughtUp.tryComplete()) {
                LOG.warn("inventory topic {} not read to its end within {} ms; going on with {} known hosts",
                        topic, CATCH_UP_TIMEOUT_MS, hosts.size());
            }
        });
        caughtUp.future().onComplete(x -> vertx.cancelTimer(timer));
        return consumer.subscribe(topic).compose(v -> caughtUp.future());
    }

    Optional<HostFacts> host(String id) {
        return Optional.ofNullable(hosts.get(id));
    }

    int size() {
        return hosts.size();
    }

    Future<Void> stop() {
        return consumer.close();
    }

    private void onRecord(KafkaConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            // A tombstone: the host left the cluster.
            if (record.key() != null) {
                hosts.remove(record.key());
            }
        } else {
            Decoded decoded = codec.decode(record.value());
            if (decoded instanceof Decoded.Rejected r) {
                deadLetters.reject(record, DeadLetters.Why.INVALID, r.reason());
            } else if (((Decoded.Ok) decoded).envelope().body() instanceof Inventory inv) {
                hosts.put(inv.facts().host(), inv.facts());
            } else {
                deadLetters.reject(record, DeadLetters.Why.MISPLACED, "a " + ((Decoded.Ok) decoded).envelope().type().wireName()
                        + " message does not belong on " + topic + ", which carries only Inventory messages: send it to its own topic");
            }
        }
        Long end = endOffsets.get(record.partition());
        if (end != null && record.offset() + 1 >= end) {
            endOffsets.remove(record.partition());
            if (endOffsets.isEmpty() && caughtUp.tryComplete()) {
                LOG.info("inventory read: {} known hosts", hosts.size());
            }
        }
    }
}
