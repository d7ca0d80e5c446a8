package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.DeadLetter;

/** Input the agent cannot use goes to the dead-letter topic with the reason, and is counted. */
final class DeadLetters {
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
    Future<Void> reject(KafkaConsumerRecord<String, byte[]> record, String reason) {
        LOG.warn("rejected record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason);
        Counter.builder("vb_dead_letter").description("Messages rejected to the dead-letter topic")
                .tag("topic", record.topic()).register(registry).increment();
        DeadLetter letter = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                reason, rejectedBy);
        return outbox.publish(topic, record.key(), letter).recover(e -> Future.succeededFuture());
    }
}
