package org.virtbalancer.agent;

import io.vertx.core.Future;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.Message;

/** What one host's agent writes to Kafka, wrapped in envelopes from {@code agent:<host>}; the producer may be shared. */
final class Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    private final KafkaProducer<String, byte[]> producer;
    private final Codec codec;
    private final String source;

    Outbox(KafkaProducer<String, byte[]> producer, Codec codec, String source) {
        this.producer = producer;
        this.codec = codec;
        this.source = source;
    }

    /** Sends and completes when the broker has it; a failed send is logged, and the future fails (it never throws). */
    Future<Void> publish(String topic, String key, Message body) {
        byte[] bytes;
        try {
            bytes = codec.encode(Envelope.of(source, body, System.currentTimeMillis()));
        } catch (RuntimeException e) {
            LOG.warn("could not encode {} for {}: {}", body.getClass().getSimpleName(), topic, e.toString());
            return Future.failedFuture(e);
        }
        return producer.send(KafkaProducerRecord.create(topic, key, bytes))
                .onFailure(e -> LOG.warn("could not publish {} to {}: {}", body.getClass().getSimpleName(), topic, e.toString()))
                .mapEmpty();
    }
}
