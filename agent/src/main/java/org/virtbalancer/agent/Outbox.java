package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.kafka.SharedProducer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one host's agent writes to Kafka, wrapped in envelopes from {@code agent:<host>}; the producer may be shared.
 * A send Kafka does not take is counted and reported once per outage by the producer ({@link SharedProducer}).
 *
 * <p>Bounded: while Kafka is away the producer keeps what it is given (and retries it) until its
 * write queue is full, set by {@link AgentVerticle} to three quarters of the producer's buffer
 * (48 MiB by default: about a minute of samples and inventories from 2,000 hosts with 20 guests
 * each; one host never fills it before the delivery timeout fails what waited). When it is full,
 * what a later message replaces is dropped: load samples, inventories, lifecycle events and
 * progress reports (the next sample and the periodic inventory carry the state again). Command
 * results and dead letters are never dropped here; they have the last quarter of the buffer, and
 * the number of commands in hand is bounded by the command intake.
 */
final class Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final long DROP_LOG_INTERVAL_MS = 10_000;
    /** Dropped messages of this JVM not yet logged, and when that was last done: one line per 10 s, however many hosts. */
    private static final AtomicLong DROPPED = new AtomicLong();
    private static final AtomicLong DROPS_LOGGED_AT = new AtomicLong();

    private final SharedProducer producer;
    private final Codec codec;
    private final String source;
    private final Meters meters;

    /** What one host's outbox counts: messages waiting for the broker's acknowledgement, and drops. */
    static final class Meters {
        private final AtomicInteger pending = new AtomicInteger();
        private final Counter dropped;
        private final List<Meter> registered;

        Meters(MeterRegistry registry, String host) {
            this.dropped = Counter.builder("vb.agent.outbox.dropped").tag("host", host)
                    .description("Messages the outbox dropped because Kafka did not acknowledge and a later one replaces them")
                    .register(registry);
            this.registered = List.of(dropped, Gauge.builder("vb.agent.outbox.pending", pending, AtomicInteger::get)
                    .tag("host", host).description("Messages sent to Kafka and not yet acknowledged by the broker")
                    .strongReference(true).register(registry));
        }

        /** Takes this host's series out of the registry (the host's agent stopped). */
        void remove(MeterRegistry registry) {
            registered.forEach(registry::remove);
        }
    }

    /** An outbox whose sends are not measured. */
    Outbox(SharedProducer producer, Codec codec, String source) {
        this(producer, codec, source, null);
    }

    /** @param meters where to count pending and dropped messages; null counts nothing */
    Outbox(SharedProducer producer, Codec codec, String source, Meters meters) {
        this.producer = producer;
        this.codec = codec;
        this.source = source;
        this.meters = meters;
    }

    /**
     * Sends and completes when the broker has it; a failed send fails the future (it never throws),
     * and is reported once per outage by the producer. Fails at once, without sending, when the outbox
     * is full and {@code body} may be dropped.
     */
    Future<Void> publish(String topic, String key, Message body) {
        if (producer.writeQueueFull() && mayDrop(body)) {
            return dropped(topic, body);
        }
        byte[] bytes;
        try {
            bytes = codec.encode(Envelope.of(source, body, System.currentTimeMillis()));
        } catch (RuntimeException e) {
            LOG.warn("could not encode {} for {}: {}", body.getClass().getSimpleName(), topic, e.toString());
            return Future.failedFuture(e);
        }
        if (meters != null) {
            meters.pending.incrementAndGet();
        }
        return producer.send(KafkaProducerRecord.create(topic, key, bytes))
                .onComplete(x -> {
                    if (meters != null) {
                        meters.pending.decrementAndGet();
                    }
                })
                .onFailure(e -> LOG.debug("could not publish {} to {}: {}", body.getClass().getSimpleName(), topic, e.toString()))
                .mapEmpty();
    }

    /** What a later message of the same host makes obsolete. */
    static boolean mayDrop(Message body) {
        if (body instanceof CommandResult r) {
            return r.status() == ResultStatus.PROGRESS;
        }
        return !(body instanceof DeadLetter);
    }

    private Future<Void> dropped(String topic, Message body) {
        if (meters != null) {
            meters.dropped.increment();
        }
        long count = DROPPED.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = DROPS_LOGGED_AT.get();
        if (now - last >= DROP_LOG_INTERVAL_MS && DROPS_LOGGED_AT.compareAndSet(last, now)) {
            DROPPED.addAndGet(-count);
            LOG.warn("Kafka has not acknowledged what this agent sent for a while and its outbox is full: dropped {}"
                    + " load samples, inventories, events and progress reports (the latest, a {} for {}); results are kept."
                    + " Check that the brokers are reachable.", count, body.getClass().getSimpleName(), topic);
        }
        return Future.failedFuture(new IllegalStateException("outbox full: " + body.getClass().getSimpleName() + " for "
                + topic + " dropped while Kafka does not acknowledge"));
    }
}
