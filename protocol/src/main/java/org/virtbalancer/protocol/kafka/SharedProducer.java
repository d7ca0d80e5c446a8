package org.virtbalancer.protocol.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.kafka.client.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * The one producer of a process, shared by all its hosts, always the current one: every send's
 * outcome goes to {@link KafkaOutage} (so none is an unhandled exception), and a failure that
 * leaves the idempotent producer unusable ({@link KafkaOutage#leavesProducerUnusable}: after an
 * outage, an out-of-order sequence number on a partition fails every later record of it until the
 * delivery timeout) replaces it at once with a new one, counted in
 * {@code <prefix>_kafka_producer_replaced_total} and logged. The old one is closed after it, given
 * a few seconds to deliver what it still holds for other partitions.
 */
public final class SharedProducer {
    private static final Logger LOG = LoggerFactory.getLogger(SharedProducer.class);
    /** How long a replaced producer may go on delivering what it holds before it is closed. */
    static final long CLOSE_REPLACED_MS = 5_000;

    private final IntFunction<KafkaProducer<String, byte[]>> factory;
    private final KafkaOutage outage;
    private final LongSupplier clock;
    private final Counter replaced;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicReference<KafkaProducer<String, byte[]>> current = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * @param factory makes the producer of each generation (0 first, then 1, 2, … for replacements: a
     *                new client id each, as two producers of one id clash while the old one closes)
     * @param prefix  of the metric names, e.g. {@code vb.agent}
     */
    public SharedProducer(IntFunction<KafkaProducer<String, byte[]>> factory, KafkaOutage outage, MeterRegistry registry,
                   String prefix, LongSupplier clock) {
        this.factory = factory;
        this.outage = outage;
        this.clock = clock;
        this.replaced = Counter.builder(prefix + ".kafka.producer.replaced")
                .description("Producers closed and made anew because Kafka left them unable to send (out-of-order sequence,"
                        + " unknown producer id, invalid epoch)")
                .register(registry);
        current.set(configured(factory.apply(0)));
    }

    /** Whether the current producer's write queue is full. */
    public boolean writeQueueFull() {
        return current.get().writeQueueFull();
    }

    /**
     * Sends through the current producer. The future fails when Kafka does not take the record;
     * that failure is counted and reported by {@link KafkaOutage}, and nowhere else.
     */
    public Future<RecordMetadata> send(KafkaProducerRecord<String, byte[]> record) {
        KafkaProducer<String, byte[]> producer = current.get();
        long handedAt = clock.getAsLong();
        return producer.send(record).onComplete(ar -> {
            if (ar.succeeded()) {
                outage.succeeded(handedAt);
            } else {
                outage.failed(record.topic(), handedAt, ar.cause());
                if (KafkaOutage.leavesProducerUnusable(ar.cause())) {
                    replace(producer, record.topic(), ar.cause());
                }
            }
        });
    }

    /** Replaces {@code broken} if it is still the current producer (the first of its failures does). */
    private void replace(KafkaProducer<String, byte[]> broken, String topic, Throwable why) {
        if (closed || current.get() != broken) {
            return;
        }
        KafkaProducer<String, byte[]> fresh;
        synchronized (this) {
            if (closed || current.get() != broken) {
                return;
            }
            fresh = configured(factory.apply(generation.incrementAndGet()));
            current.set(fresh);
        }
        replaced.increment();
        LOG.warn("Kafka refused a record for {} from this process's producer ({}): a producer cannot send after that, so it"
                + " was replaced by a new one (replacement {}); the records it still held for other partitions get {} ms to be"
                + " delivered", topic, why.toString(), generation.get(), CLOSE_REPLACED_MS);
        broken.close(CLOSE_REPLACED_MS).onFailure(e -> LOG.debug("closing a replaced producer: {}", e.toString()));
    }

    /** How many times the producer was replaced. */
    int replacements() {
        return generation.get();
    }

    /** Closes the current producer, delivering what it holds (the process is stopping). */
    public Future<Void> close() {
        closed = true;
        return current.get().close();
    }

    private static KafkaProducer<String, byte[]> configured(KafkaProducer<String, byte[]> producer) {
        // Each send's future carries its failure (handled by send); without a handler the Vert.x client would also
        // report every failure to its context as an "Unhandled exception".
        producer.exceptionHandler(e -> LOG.debug("producer: {}", e.toString()));
        return producer;
    }
}
