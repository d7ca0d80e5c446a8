package org.virtbalancer.agent;

import org.junit.jupiter.api.Test;
import org.virtbalancer.protocol.KafkaSettings;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentConfigTest {
    @Test
    void defaultsMatchTheDesign() {
        AgentConfig c = AgentConfig.of("host-a", KafkaSettings.of("127.0.0.1:9092"), Path.of("state"));
        assertEquals(Duration.ofSeconds(10), c.sampleInterval());
        assertEquals(Duration.ofSeconds(60), c.inventoryInterval());
        assertEquals(2, c.maxConcurrentMigrations());
        assertEquals(Duration.ofSeconds(1), c.progressInterval());
        assertEquals("agent:host-a", c.source());
        assertEquals(4, c.withMaxConcurrentMigrations(4).maxConcurrentMigrations());
    }

    @Test
    void badSettingsSayWhatIsAllowed() {
        AgentConfig c = AgentConfig.of("host-a", KafkaSettings.of("127.0.0.1:9092"), Path.of("state"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.withMaxConcurrentMigrations(0));
        assertTrue(e.getMessage().contains("between 1 and 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.withSampleInterval(Duration.ZERO));
        assertTrue(e.getMessage().contains("longer than zero"), e.getMessage());
    }
}
