package org.virtbalancer.protocol;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
