package org.virtbalancer.agent;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.kafka.SharedProducer;
import org.virtbalancer.protocol.kafka.KafkaOutage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox's policy when Kafka does not acknowledge: a producer pointed at a port where no broker listens. */
class OutboxTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    @Test
    void whenFullItDropsWhatALaterMessageReplacesButKeepsResultsAndDeadLetters() throws IOException {
        Map<String, String> config = new HashMap<>(KafkaSettings.of("127.0.0.1:" + unusedPort()).producer("outbox-test"));
        config.put("max.block.ms", "1000"); // the topic's metadata never comes: fail the kept sends soon
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SharedProducer producer = new SharedProducer(generation -> {
            KafkaProducer<String, byte[]> p = KafkaProducer.create(vertx, config);
            p.setWriteQueueMaxSize(1);
            return p;
        }, new KafkaOutage(registry, "vb.agent", "h1", "agent h1", config.get("bootstrap.servers"), List.of(),
                System::currentTimeMillis), registry, "vb.agent", System::currentTimeMillis);
        Outbox outbox = new Outbox(producer, new Codec(), "agent:h1");
        HostLoad sample = new HostLoad("h1", 1000, 1.0, 1024, 0, 0, List.of());

        Future<Void> first = outbox.publish("vb.host-load", "h1", sample);
        Future<Void> second = outbox.publish("vb.host-load", "h1", sample);
        Future<Void> progress = outbox.publish("vb.command-results", "c1",
                new CommandResult("c1", "h1", "vm-1", ResultStatus.PROGRESS, 40, "", MigrationStats.NONE));
        Future<Void> result = outbox.publish("vb.command-results", "c1",
                new CommandResult("c1", "h1", "vm-1", ResultStatus.SUCCEEDED, 100, "", MigrationStats.NONE));
        Future<Void> letter = outbox.publish("vb.dead-letter", "k", DeadLetter.of("vb.control", 0, 7, "k",
                "junk".getBytes(StandardCharsets.UTF_8), "not JSON", "agent:h1"));

        assertTrue(second.failed() && second.cause().getMessage().contains("outbox full"), () -> String.valueOf(second.cause()));
        assertTrue(progress.failed() && progress.cause().getMessage().contains("outbox full"));
        // Sent, and failed only by the producer once it gave up waiting for the broker.
        await().atMost(Duration.ofSeconds(30)).until(() -> first.isComplete() && result.isComplete() && letter.isComplete());
        for (Future<Void> kept : List.of(first, result, letter)) {
            assertTrue(kept.failed());
            assertFalse(kept.cause().getMessage().contains("outbox full"), kept.cause().getMessage());
        }
    }

    private static int unusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
