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
 * @param api        where the read-only HTTP API listens ({@link ApiEndpoint#OFF}: nowhere)
 * @param membership the other balancers; {@link Membership#STANDALONE} for a single one
 * @param signing    how commands and control messages are signed and checked ({@link CommandSigning#NONE}: not at all)
 */
public record BalancerConfig(String id, KafkaSettings kafka, BalancerSettings settings, Duration tick,
                             ApiEndpoint api, Membership membership, CommandSigning signing) {
    public BalancerConfig {
        Check.name("id", id);
        Check.present("kafka", kafka);
        Check.present("settings", settings);
        Check.present("tick", tick);
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive, got " + tick);
        }
        Check.present("api", api);
        Check.present("membership", membership);
        Check.present("signing", signing);
    }

    /** Default settings, a tick a second, and no HTTP API. */
    public static BalancerConfig of(String id, KafkaSettings kafka) {
        return new BalancerConfig(id, kafka, BalancerSettings.defaults(), Duration.ofSeconds(1), ApiEndpoint.OFF,
                Membership.STANDALONE, CommandSigning.NONE);
    }

    public BalancerConfig withSettings(BalancerSettings newSettings) {
        return new BalancerConfig(id, kafka, newSettings, tick, api, membership, signing);
    }

    public BalancerConfig withTick(Duration newTick) {
        return new BalancerConfig(id, kafka, settings, newTick, api, membership, signing);
    }

    public BalancerConfig withApi(ApiEndpoint newApi) {
        return new BalancerConfig(id, kafka, settings, tick, newApi, membership, signing);
    }

    public BalancerConfig withMembership(Membership newMembership) {
        return new BalancerConfig(id, kafka, settings, tick, api, newMembership, signing);
    }

    public BalancerConfig withSigning(CommandSigning newSigning) {
        return new BalancerConfig(id, kafka, settings, tick, api, membership, newSigning);
    }

    /**
     * This balancer's own consumer group: every balancer reads every message (followers keep a warm
     * model), so they must not share one. Derived from the prefix so clusters sharing brokers stay apart.
     */
    public String groupId() {
        return kafka.topics().prefix() + "balancer-" + id;
    }

    /** The Hazelcast cluster name of these balancers. */
    public String clusterName() {
        return kafka.topics().prefix() + "balancers";
    }
}
