package org.virtbalancer.protocol;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Topic names under a configurable prefix (default {@code vb.}).
 *
 * @param prefix prepended to every name, e.g. {@code vb.}
 */
public record Topics(String prefix) {
    public static final String DEFAULT_PREFIX = "vb.";
    /** Topic configs this project sets on every topic it creates. */
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String RETENTION_MS = "retention.ms";
    /** How many replicas must hold a record before an acks=all write of it succeeds. */
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{0,100}");

    public Topics {
        Check.present("prefix", prefix);
        if (!PREFIX.matcher(prefix).matches()) {
            throw new InvalidMessageException("prefix", "'" + prefix + "' may only hold letters, digits, '.', '_' and '-'");
        }
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    /** Compacted, keyed by host id. */
    public String inventory() { return prefix + "inventory"; }

    public String hostLoad() { return prefix + "host-load"; }

    public String domainEvents() { return prefix + "domain-events"; }

    /** One per host, so ACLs can confine each agent to its own commands. */
    public String commands(String host) { return prefix + "commands." + Check.name("host", host); }

    /** Matches every per-host command topic. */
    public Pattern allCommands() { return Pattern.compile(Pattern.quote(prefix + "commands.") + ".*"); }

    public String commandResults() { return prefix + "command-results"; }

    /** Compacted per host. */
    public String control() { return prefix + "control"; }

    public String decisions() { return prefix + "decisions"; }

    public String deadLetter() { return prefix + "dead-letter"; }

    /** Compacted, one partition: the latest {@link LeaderEpoch}, written by each new balancer leader. */
    public String leader() { return prefix + "leader"; }

    /** The Kafka {@code transactional.id} every balancer leader produces under, so a new one fences the old. */
    public String leaderTransactionalId() { return prefix + "balancer-leader"; }

    /**
     * What every {@code vbal} run's {@code transactional.id} starts with: {@code <prefix>vbal-<random>}, one per
     * run, so operators never fence one another (their ACL is a prefixed one on this).
     */
    public String operatorTransactionalIdPrefix() { return prefix + "vbal-"; }

    /** What the {@code transactional.id} of each balancer's API writer starts with (a prefixed ACL on this). */
    public String apiTransactionalIdPrefix() { return prefix + "api-"; }

    /** The {@code transactional.id} under which balancer {@code balancerId}'s API writes control messages. */
    public String apiTransactionalId(String balancerId) { return apiTransactionalIdPrefix() + balancerId; }

    /**
     * How every topic is created, by {@code vbal topics create} and by the agents' and balancers'
     * own creation of missing topics alike, so all of them agree.
     *
     * @param partitions          partitions of the busy host-keyed topics (inventory, host-load,
     *                            domain-events, command-results); every other topic has one
     * @param replicationFactor   replicas of each partition, or -1 for the broker's
     *                            {@code default.replication.factor}
     * @param minInsyncReplicas   {@code min.insync.replicas} of every topic, 1 up to the replication factor;
     *                            or -1: {@link #minInsyncReplicasFor} the replication factor, or the broker's
     *                            own when that is the broker's too
     * @param loadRetention       how long host-load samples are kept
     * @param eventsRetention     how long domain events are kept
     * @param commandRetention    how long per-host commands and their results are kept; a starting
     *                            balancer reads all of them (it skips commands older than 2 h)
     * @param decisionsRetention  how long plans, recommendations and maintenance status are kept
     * @param deadLetterRetention how long rejected input is kept
     */
    public record Layout(int partitions, int replicationFactor, int minInsyncReplicas, Duration loadRetention,
                         Duration eventsRetention, Duration commandRetention, Duration decisionsRetention,
                         Duration deadLetterRetention) {
        public Layout {
            if (partitions < 1) {
                throw new InvalidMessageException("partitions", "must be at least 1, got " + partitions);
            }
            if (replicationFactor != -1 && (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE)) {
                throw new InvalidMessageException("replicationFactor",
                        "must be at least 1, or -1 for the broker's default, got " + replicationFactor);
            }
            if (minInsyncReplicas != -1 && replicationFactor == -1) {
                throw new InvalidMessageException("minInsyncReplicas", "needs a replication factor to be checked against:"
                        + " give the replication factor too (the broker's default is not known here), got " + minInsyncReplicas);
            }
            if (minInsyncReplicas != -1 && (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor)) {
                throw new InvalidMessageException("minInsyncReplicas", "must be between 1 and the replication factor "
                        + replicationFactor + " (more would refuse every acks=all write), or -1 for "
                        + minInsyncReplicasFor(replicationFactor) + ", got " + minInsyncReplicas);
            }
            atLeastOneMilli("loadRetention", loadRetention);
            atLeastOneMilli("eventsRetention", eventsRetention);
            atLeastOneMilli("commandRetention", commandRetention);
            atLeastOneMilli("decisionsRetention", decisionsRetention);
            atLeastOneMilli("deadLetterRetention", deadLetterRetention);
        }

        private static void atLeastOneMilli(String field, Duration d) {
            if (Check.present(field, d).toMillis() < 1) {
                throw new InvalidMessageException(field, "must be at least 1 ms, got " + d);
            }
        }

        /** A layout whose {@code min.insync.replicas} follows from its replication factor. */
        public Layout(int partitions, int replicationFactor, Duration loadRetention, Duration eventsRetention,
                      Duration commandRetention, Duration decisionsRetention, Duration deadLetterRetention) {
            this(partitions, replicationFactor, -1, loadRetention, eventsRetention, commandRetention, decisionsRetention,
                    deadLetterRetention);
        }

        /**
         * 3 partitions, so the busy topics spread over three brokers; the broker's replication;
         * samples and commands for a day, history for a week.
         */
        public static Layout defaults() {
            return new Layout(3, -1, Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(1), Duration.ofDays(7),
                    Duration.ofDays(7));
        }

        /**
         * {@code min.insync.replicas} for a replication factor: one less than the factor from 3 up
         * (2 of 3: one broker may be down and acks=all writes still succeed, and a record acknowledged
         * is on two), 1 below that (so a partition of 2 stays writable with one broker down).
         */
        public static int minInsyncReplicasFor(int replicationFactor) {
            if (replicationFactor < 1) {
                throw new IllegalArgumentException("a replication factor is at least 1, got " + replicationFactor);
            }
            return replicationFactor >= 3 ? replicationFactor - 1 : 1;
        }

        /** What every topic gets: the one given, else the one for the replication factor, else -1 (the broker's). */
        public int topicMinInsyncReplicas() {
            if (minInsyncReplicas != -1) {
                return minInsyncReplicas;
            }
            return replicationFactor == -1 ? -1 : minInsyncReplicasFor(replicationFactor);
        }
    }

    /**
     * A topic and how to create it.
     *
     * @param name              topic name
     * @param compacted         keep the latest record per key forever ({@code cleanup.policy=compact});
     *                          otherwise records are deleted after {@code retention}
     * @param partitions        partitions to create it with
     * @param replicationFactor replicas, or -1 for the broker's default
     * @param minInsyncReplicas {@code min.insync.replicas}, or -1 for the broker's default
     * @param retention         how long records are kept ({@code retention.ms}); empty when compacted
     */
    public record Spec(String name, boolean compacted, int partitions, int replicationFactor, int minInsyncReplicas,
                       Optional<Duration> retention) {
        public Spec {
            Check.present("name", name);
            Check.present("retention", retention);
            if (compacted == retention.isPresent()) {
                throw new InvalidMessageException("retention", "a compacted topic keeps no retention time and any other"
                        + " topic needs one (" + name + ")");
            }
            if (minInsyncReplicas != -1 && (minInsyncReplicas < 1
                    || replicationFactor != -1 && minInsyncReplicas > replicationFactor)) {
                throw new InvalidMessageException("minInsyncReplicas", "must be between 1 and the replication factor "
                        + replicationFactor + ", or -1 for the broker's default, got " + minInsyncReplicas + " (" + name + ")");
            }
        }

        /**
         * The topic configs it is created with, and kept at: {@code cleanup.policy}, {@code retention.ms}
         * unless compacted, {@code min.insync.replicas} unless the broker's.
         */
        public Map<String, String> configs() {
            Map<String, String> configs = new LinkedHashMap<>();
            configs.put(CLEANUP_POLICY, compacted ? "compact" : "delete");
            retention.ifPresent(r -> configs.put(RETENTION_MS, String.valueOf(r.toMillis())));
            if (minInsyncReplicas != -1) {
                configs.put(MIN_INSYNC_REPLICAS, String.valueOf(minInsyncReplicas));
            }
            return configs;
        }
    }

    /** The shared topics every process may need (not the per-host command topics), as {@link Layout#defaults()} has them. */
    public List<Spec> shared() {
        return shared(Layout.defaults());
    }

    /** The shared topics every process may need (not the per-host command topics). */
    public List<Spec> shared(Layout layout) {
        int busy = layout.partitions();
        int rf = layout.replicationFactor();
        int isr = layout.topicMinInsyncReplicas();
        return List.of(
                new Spec(inventory(), true, busy, rf, isr, Optional.empty()),
                new Spec(hostLoad(), false, busy, rf, isr, Optional.of(layout.loadRetention())),
                new Spec(domainEvents(), false, busy, rf, isr, Optional.of(layout.eventsRetention())),
                new Spec(commandResults(), false, busy, rf, isr, Optional.of(layout.commandRetention())),
                new Spec(control(), true, 1, rf, isr, Optional.empty()),
                new Spec(decisions(), false, 1, rf, isr, Optional.of(layout.decisionsRetention())),
                new Spec(deadLetter(), false, 1, rf, isr, Optional.of(layout.deadLetterRetention())),
                // One partition: a new leader reads the latest epoch from partition 0.
                new Spec(leader(), true, 1, rf, isr, Optional.empty()));
    }

    /** The command topic of {@code host}, as {@link Layout#defaults()} has it. */
    public Spec commandsSpec(String host) {
        return commandsSpec(host, Layout.defaults());
    }

    /** The command topic of {@code host}: one partition, so the host gets its commands in order. */
    public Spec commandsSpec(String host, Layout layout) {
        return new Spec(commands(host), false, 1, layout.replicationFactor(), layout.topicMinInsyncReplicas(),
                Optional.of(layout.commandRetention()));
    }
}
