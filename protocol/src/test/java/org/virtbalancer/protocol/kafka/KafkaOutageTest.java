package org.virtbalancer.protocol.kafka;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One outage: opened once by its first failure, ended once by the first success, every lost record counted. */
class KafkaOutageTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KafkaOutage outage = new KafkaOutage(registry, "vb.agent", "h1", "agent h1", "127.0.0.1:9092",
            List.of("vb.host-load", "vb.inventory"), now::get);

    @Test
    void theFirstFailureOpensTheOutageAndTheFirstSuccessEndsItWithWhatWasLost() {
        TimeoutException expired = new TimeoutException("Expiring 9 record(s) for vb.host-load-1: 120000 ms has passed");
        now.set(1_120_000);
        assertTrue(outage.failed("vb.host-load", 1_000_000, expired), "the first failure opens the outage");
        assertFalse(outage.failed("vb.host-load", 1_001_000, expired));
        assertFalse(outage.failed("vb.inventory", 1_002_000, expired));
        assertEquals(1_000.0, gauge(), "since the first failed record was sent, in seconds");
        assertEquals(2.0, count("vb.host-load", KafkaOutage.TIMEOUT));
        assertEquals(0.0, count("vb.inventory", KafkaOutage.OTHER), "exported at 0 from the start");

        now.set(1_150_000);
        KafkaOutage.Recovery r = outage.succeeded(1_149_000).orElseThrow();
        assertEquals(Duration.ofSeconds(150), r.lasted());
        assertEquals(3, r.lost());
        assertEquals(Map.of("vb.host-load", 2L, "vb.inventory", 1L), r.lostByTopic());
        assertEquals(0.0, gauge());
        assertTrue(outage.succeeded(1_150_000).isEmpty(), "logged once");

        // Late news of the outage that ended: counted, and no new outage.
        assertFalse(outage.failed("vb.host-load", 1_100_000, expired));
        assertEquals(3.0, count("vb.host-load", KafkaOutage.TIMEOUT));
        assertEquals(0.0, gauge());
        // A record sent after the recovery that fails opens the next one.
        assertTrue(outage.failed("vb.host-load", 1_151_000, expired));
    }

    @Test
    void sequenceAndEpochErrorsLeaveTheProducerUnusableAndOthersDoNot() {
        assertTrue(KafkaOutage.leavesProducerUnusable(new OutOfOrderSequenceException("x")));
        assertTrue(KafkaOutage.leavesProducerUnusable(new UnknownProducerIdException("x")));
        assertTrue(KafkaOutage.leavesProducerUnusable(new InvalidProducerEpochException("x")));
        assertTrue(KafkaOutage.leavesProducerUnusable(new KafkaException("Cannot perform send because at least one previous"
                + " transactional or idempotent request has failed with errors.", new OutOfOrderSequenceException("x"))));
        assertFalse(KafkaOutage.leavesProducerUnusable(new TimeoutException("x")));
        assertFalse(KafkaOutage.leavesProducerUnusable(new NotLeaderOrFollowerException("x")));
        assertEquals(KafkaOutage.PRODUCER_STATE, KafkaOutage.reason(new OutOfOrderSequenceException("x")));
        assertEquals(KafkaOutage.TIMEOUT, KafkaOutage.reason(new KafkaException(new TimeoutException("x"))));
        assertEquals(KafkaOutage.OTHER, KafkaOutage.reason(new IllegalStateException("closed")));
    }

    private double gauge() {
        return registry.get("vb.agent.kafka.unreachable.since").tag("client", "h1").gauge().value();
    }

    private double count(String topic, String reason) {
        return registry.get("vb.agent.kafka.send.failures").tag("topic", topic).tag("reason", reason).counter().count();
    }
}
