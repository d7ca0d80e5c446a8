package org.virtbalancer.protocol.kafka;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.kafka.client.producer.RecordMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process's producer on Kafka's {@link MockProducer}s, one per generation: a failure that
 * leaves an idempotent producer unusable replaces it once, the next sends go through the new one,
 * every failure is counted, and none reaches Vert.x as an unhandled exception.
 */
class SharedProducerTest {
    private static final String TOPIC = "vb.host-load";
    private final Vertx vertx = Vertx.vertx();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<MockProducer<String, byte[]>> made = new CopyOnWriteArrayList<>();
    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private final KafkaOutage outage = new KafkaOutage(registry, "vb.agent", "h1", "agent h1", "127.0.0.1:9092",
            List.of(TOPIC), System::currentTimeMillis);
    private final SharedProducer producer = new SharedProducer(generation -> {
        MockProducer<String, byte[]> mock = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        made.add(mock);
        return KafkaProducer.create(vertx, mock);
    }, outage, registry, "vb.agent", System::currentTimeMillis);

    SharedProducerTest() {
        vertx.exceptionHandler(unhandled::add);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    @Test
    void anOutOfOrderSequenceReplacesTheProducerOnceAndTheNextSendsGoThroughTheNewOne() {
        Future<RecordMetadata> first = producer.send(record("h1"));
        Future<RecordMetadata> second = producer.send(record("h2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> made.get(0).history().size() == 2);
        made.get(0).errorNext(new OutOfOrderSequenceException("The broker received an out of order sequence number."));
        made.get(0).errorNext(new UnknownProducerIdException("This exception is raised by the broker"));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.failed() && second.failed());

        assertEquals(2, made.size(), "two failures of the same producer replace it once");
        assertEquals(1, producer.replacements());
        assertEquals(1.0, registry.get("vb.agent.kafka.producer.replaced").counter().count());
        assertEquals(2.0, failures(KafkaOutage.PRODUCER_STATE));
        await().atMost(Duration.ofSeconds(30)).until(() -> made.get(0).closed());

        Future<RecordMetadata> third = producer.send(record("h1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> made.get(1).history().size() == 1);
        made.get(1).completeNext();
        await().atMost(Duration.ofSeconds(10)).until(third::succeeded);
        assertEquals(2, made.get(0).history().size(), "the third went to the new one");
        assertEquals(0.0, unreachableSince(), "a send succeeded: the outage is over");
        assertEquals(List.of(), unhandled);
    }

    @Test
    void anExpiredRecordIsCountedAndOpensAnOutageThatTheNextSuccessEndsWithoutReplacingTheProducer() {
        long before = System.currentTimeMillis();
        Future<RecordMetadata> expired = producer.send(record("h1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> made.get(0).history().size() == 1);
        made.get(0).errorNext(new TimeoutException("Expiring 9 record(s) for vb.host-load-1: 120000 ms has passed"));
        await().atMost(Duration.ofSeconds(10)).until(expired::failed);

        assertEquals(1.0, failures(KafkaOutage.TIMEOUT));
        assertTrue(unreachableSince() * 1000 >= before - 1000, "since " + unreachableSince());
        assertEquals(1, made.size(), "an expired record leaves the producer usable");

        Future<RecordMetadata> next = producer.send(record("h1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> made.get(0).history().size() == 2);
        made.get(0).completeNext();
        await().atMost(Duration.ofSeconds(10)).until(next::succeeded);
        assertEquals(0.0, unreachableSince());
        assertEquals(List.of(), unhandled, "every failure is handled by its send");
    }

    private double failures(String reason) {
        return registry.get("vb.agent.kafka.send.failures").tag("topic", TOPIC).tag("reason", reason).counter().count();
    }

    private double unreachableSince() {
        return registry.get("vb.agent.kafka.unreachable.since").tag("client", "h1").gauge().value();
    }

    private static KafkaProducerRecord<String, byte[]> record(String key) {
        return KafkaProducerRecord.create(TOPIC, key, "{}".getBytes(StandardCharsets.UTF_8));
    }
}
