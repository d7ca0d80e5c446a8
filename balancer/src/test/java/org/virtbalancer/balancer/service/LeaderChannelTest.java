package org.virtbalancer.balancer.service;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the leader sees of its channel while Kafka is not there: work waiting, then refused. */
class LeaderChannelTest {
    @Test
    void callsWaitingForAnAbsentBrokerAreCountedAndRefusedOnceOpeningFails() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        KafkaSettings kafka = new KafkaSettings("127.0.0.1:" + closedPort, Topics.defaults(),
                Map.of("max.block.ms", "3000", "default.api.timeout.ms", "3000", "request.timeout.ms", "2000"));
        LeaderChannel channel = new LeaderChannel(kafka, "b1", host -> { });
        try {
            CompletableFuture<Long> opening = channel.open();
            List<CompletableFuture<Void>> sends = List.of(channel.send(List.of()), channel.send(List.of()),
                    channel.send(List.of()));
            assertEquals(4, channel.pending(), "opening blocks on the absent broker; three sends wait behind it");

            ExecutionException e = assertThrows(ExecutionException.class, opening::get);
            assertTrue(channel.broken(), "a failed open closes the channel: " + e.getCause());
            for (CompletableFuture<Void> send : sends) {
                ExecutionException refused = assertThrows(ExecutionException.class, send::get);
                assertTrue(refused.getCause().getMessage().contains("failed before and sends nothing more"),
                        refused.getCause().getMessage());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> channel.pending() == 0);
        } finally {
            channel.close();
        }
    }
}
