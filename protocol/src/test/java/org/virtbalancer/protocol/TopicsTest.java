package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicsTest {
    private final Topics topics = new Topics("vb.");

    private Topics.Spec spec(String name) {
        return topics.shared().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void stateTopicsAreCompactedAndHistoryIsDeletedAfterItsRetention() {
        for (String compacted : new String[] {"vb.inventory", "vb.control", "vb.leader"}) {
            assertEquals(Map.of("cleanup.policy", "compact"), spec(compacted).configs(), compacted);
        }
        assertEquals(Map.of("cleanup.policy", "delete", "retention.ms", "86400000"), spec("vb.host-load").configs());
        assertEquals(Map.of("cleanup.policy", "delete", "retention.ms", "604800000"), spec("vb.decisions").configs());
        assertEquals(Map.of("cleanup.policy", "delete", "retention.ms", "86400000"), topics.commandsSpec("h1").configs());
    }

    @Test
    void busyHostKeyedTopicsArePartitionedAndTheLeaderAndCommandTopicsHaveOnePartition() {
        Topics.Layout layout = new Topics.Layout(6, 3, Duration.ofHours(6), Duration.ofDays(7), Duration.ofDays(1),
                Duration.ofDays(7), Duration.ofDays(7));
        for (Topics.Spec s : topics.shared(layout)) {
            boolean busy = s.name().matches("vb\\.(inventory|host-load|domain-events|command-results)");
            assertEquals(busy ? 6 : 1, s.partitions(), s.name());
            assertEquals(3, s.replicationFactor(), s.name());
        }
        assertEquals(1, topics.commandsSpec("h1", layout).partitions());
        assertEquals(Optional.of(Duration.ofDays(1)), topics.commandsSpec("h1", layout).retention());
    }

    @Test
    void aLayoutRejectsWhatKafkaWouldNot() {
        var partitions = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(0, -1, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertEquals("partitions", partitions.field());
        var replication = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(1, 0, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertTrue(replication.getMessage().contains("-1 for the broker's default"), replication.getMessage());
        var retention = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(1, -1, Duration.ZERO,
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertEquals("loadRetention", retention.field());
    }

    @Test
    void minInsyncReplicasFollowsTheReplicationFactorUnlessGiven() {
        assertEquals(1, Topics.Layout.minInsyncReplicasFor(1));
        assertEquals(1, Topics.Layout.minInsyncReplicasFor(2));
        assertEquals(2, Topics.Layout.minInsyncReplicasFor(3));
        assertEquals(4, Topics.Layout.minInsyncReplicasFor(5));
        Topics.Layout three = new Topics.Layout(3, 3, Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(1),
                Duration.ofDays(7), Duration.ofDays(7));
        for (Topics.Spec s : topics.shared(three)) {
            assertEquals("2", s.configs().get(Topics.MIN_INSYNC_REPLICAS), s.name());
        }
        assertEquals("2", topics.commandsSpec("h1", three).configs().get(Topics.MIN_INSYNC_REPLICAS));
        Topics.Layout given = new Topics.Layout(3, 3, 3, Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(1),
                Duration.ofDays(7), Duration.ofDays(7));
        assertEquals("3", topics.commandsSpec("h1", given).configs().get(Topics.MIN_INSYNC_REPLICAS));
        // The broker's replication: the broker's min.insync.replicas too.
        assertFalse(topics.commandsSpec("h1").configs().containsKey(Topics.MIN_INSYNC_REPLICAS));
    }

    @Test
    void minInsyncReplicasAboveTheReplicationFactorOrWithoutOneIsRefused() {
        var above = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(1, 3, 4, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertEquals("minInsyncReplicas", above.field());
        assertTrue(above.getMessage().contains("between 1 and the replication factor 3"), above.getMessage());
        var zero = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(1, 3, 0, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertEquals("minInsyncReplicas", zero.field());
        var unknown = assertThrows(InvalidMessageException.class, () -> new Topics.Layout(1, -1, 2, Duration.ofDays(1),
                Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)));
        assertTrue(unknown.getMessage().contains("give the replication factor too"), unknown.getMessage());
    }
}
