package org.virtbalancer.balancer.service;

import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.KafkaSettings;

import java.time.Duration;

/**
 * How one balancer process runs.
 *
 * @param id        this instance's name, used in the envelope source {@code balancer:<id>}
 * @param kafka     brokers, topic prefix, client pass-through settings
 * @param settings  the decision core's thresholds and limits
 * @param tick      how often the core is asked to decide
 * @param epoch     leader epoch stamped on commands
 * @param api       where the read-only HTTP API listens ({@link ApiEndpoint#OFF}: nowhere)
 */
public record BalancerConfig(String id, KafkaSettings kafka, BalancerSettings settings, Duration tick, long epoch,
                             ApiEndpoint api) {
    public BalancerConfig {
        Check.name("id", id);
        Check.present("kafka", kafka);
        Check.present("settings", settings);
        Check.present("tick", tick);
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive, got " + tick);
        }
        Check.positive("epoch", epoch);
        Check.present("api", api);
    }

    /** Default settings, a tick a second, and no HTTP API. */
    public static BalancerConfig of(String id, KafkaSettings kafka) {
        return new BalancerConfig(id, kafka, BalancerSettings.defaults(), Duration.ofSeconds(1), 1, ApiEndpoint.OFF);
    }

    public BalancerConfig withSettings(BalancerSettings newSettings) {
        return new BalancerConfig(id, kafka, newSettings, tick, epoch, api);
    }

    public BalancerConfig withTick(Duration newTick) {
        return new BalancerConfig(id, kafka, settings, newTick, epoch, api);
    }

    public BalancerConfig withApi(ApiEndpoint newApi) {
        return new BalancerConfig(id, kafka, settings, tick, epoch, newApi);
    }

    /** Consumer group of the balancers; derived from the prefix so clusters sharing brokers stay apart. */
    public String groupId() {
        return kafka.topics().prefix() + "balancer";
    }
}
