package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.DeadLetter;

/**
 * Input the agent cannot use goes to the dead-letter topic with the reason, and is counted in
 * {@code vb_dead_letters_total{reason,topic}} by the kind of problem (the reason label; the full
 * reason is in the dead letter and the log).
 */
final class DeadLetters {
    /** Why a record was dead-lettered, as the {@code reason} label says it; the balancer uses the same words. */
    enum Why {
        /** Not a message at all: unreadable, or failing the schema. */
        INVALID,
        /** A valid message on a topic where it does not belong. */
        MISPLACED,
        /** A command that is not signed with a key the agent accepts, or altered after it was signed. */
        SIGNATURE,
        /** A signed command issued too long before (or after) the agent's clock says it is now. */
        EXPIRED,
        /** A signed command whose id the agent already acted on: a replay, not run again. */
        REPLAYED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    private final Outbox outbox;
    private final String topic;
    private final String rejectedBy;
    private final MeterRegistry registry;

    DeadLetters(Outbox outbox, String topic, String rejectedBy, MeterRegistry registry) {
        this.outbox = outbox;
        this.topic = topic;
        this.rejectedBy = rejectedBy;
        this.registry = registry;
    }

    /** Never fails: a consumer must keep going whatever happens to its bad input. */
    Future<Void> reject(KafkaConsumerRecord<String, byte[]> record, Why why, String reason) {
        LOG.warn("rejected record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason);
        Counter.builder("vb.dead.letters").description("Messages written to the dead-letter topic, by kind of problem"
                        + " and the topic they came from")
                .tag("reason", why.label()).tag("topic", record.topic()).register(registry).increment();
        DeadLetter letter = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                reason, rejectedBy);
        return outbox.publish(topic, record.key(), letter).recover(e -> Future.succeededFuture());
    }
}
