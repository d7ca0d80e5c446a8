package org.virtbalancer.agent;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.KafkaSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How one host's agent runs. {@link #of} gives the defaults; the {@code with…} methods change one setting.
 *
 * @param hostId                  this host's id: topic keys, the command topic name, {@code agent:<host>}
 * @param kafka                   Kafka connection and topic names
 * @param sampleInterval          how often host load is published (default 10 s)
 * @param inventoryInterval       how often the inventory is republished even without changes (default 60 s)
 * @param maxConcurrentMigrations migrations running at once on this host; more wait in a queue (default 2)
 * @param stateDir                where the agent remembers executed command ids across restarts
 * @param progressInterval        at most one progress report per migration this often (default 1 s)
 * @param stopGracePeriod         on stop, how long running migrations may finish before they are aborted (default 30 s)
 * @param security                signatures commands must carry and hosts they may migrate to (default
 *                                {@link CommandSecurity#NONE}: no signatures, any host of the inventory)
 */
public record AgentConfig(String hostId, KafkaSettings kafka, Duration sampleInterval, Duration inventoryInterval,
                          int maxConcurrentMigrations, Path stateDir, Duration progressInterval, Duration stopGracePeriod,
                          CommandSecurity security) {
    public static final Duration DEFAULT_SAMPLE_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_INVENTORY_INTERVAL = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONCURRENT_MIGRATIONS = 2;
    public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_STOP_GRACE_PERIOD = Duration.ofSeconds(30);

    public AgentConfig {
        Check.name("hostId", hostId);
        Objects.requireNonNull(kafka, "kafka settings are required");
        Objects.requireNonNull(stateDir, "stateDir is required: the agent keeps executed command ids there");
        positive("sampleInterval", sampleInterval);
        positive("inventoryInterval", inventoryInterval);
        positive("progressInterval", progressInterval);
        if (stopGracePeriod == null || stopGracePeriod.isNegative()) {
            throw new IllegalArgumentException("stopGracePeriod must be zero or more, got " + stopGracePeriod);
        }
        Objects.requireNonNull(security, "security is required (CommandSecurity.NONE for none)");
        if (maxConcurrentMigrations < 1 || maxConcurrentMigrations > 64) {
            throw new IllegalArgumentException("maxConcurrentMigrations must be between 1 and 64, got " + maxConcurrentMigrations);
        }
    }

    /** The defaults: samples every 10 s, inventory every 60 s, 2 migrations at once, progress every 1 s. */
    public static AgentConfig of(String hostId, KafkaSettings kafka, Path stateDir) {
        return new AgentConfig(hostId, kafka, DEFAULT_SAMPLE_INTERVAL, DEFAULT_INVENTORY_INTERVAL,
                DEFAULT_MAX_CONCURRENT_MIGRATIONS, stateDir, DEFAULT_PROGRESS_INTERVAL, DEFAULT_STOP_GRACE_PERIOD,
                CommandSecurity.NONE);
    }

    /** {@code agent:<host>}, the envelope source of everything this agent writes. */
    public String source() {
        return "agent:" + hostId;
    }

    public AgentConfig withSampleInterval(Duration value) {
        return new AgentConfig(hostId, kafka, value, inventoryInterval, maxConcurrentMigrations, stateDir, progressInterval,
                stopGracePeriod, security);
    }

    public AgentConfig withInventoryInterval(Duration value) {
        return new AgentConfig(hostId, kafka, sampleInterval, value, maxConcurrentMigrations, stateDir, progressInterval,
                stopGracePeriod, security);
    }

    public AgentConfig withMaxConcurrentMigrations(int value) {
        return new AgentConfig(hostId, kafka, sampleInterval, inventoryInterval, value, stateDir, progressInterval,
                stopGracePeriod, security);
    }

    public AgentConfig withProgressInterval(Duration value) {
        return new AgentConfig(hostId, kafka, sampleInterval, inventoryInterval, maxConcurrentMigrations, stateDir, value,
                stopGracePeriod, security);
    }

    public AgentConfig withStopGracePeriod(Duration value) {
        return new AgentConfig(hostId, kafka, sampleInterval, inventoryInterval, maxConcurrentMigrations, stateDir,
                progressInterval, value, security);
    }

    public AgentConfig withSecurity(CommandSecurity value) {
        return new AgentConfig(hostId, kafka, sampleInterval, inventoryInterval, maxConcurrentMigrations, stateDir,
                progressInterval, stopGracePeriod, value);
    }

    private static void positive(String field, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(field + " must be longer than zero, got " + value);
        }
    }
}
