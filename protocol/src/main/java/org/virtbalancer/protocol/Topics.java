package org.virtbalancer.protocol;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Topic names under a configurable prefix (default {@code vb.}).
 *
 * @param prefix prepended to every name, e.g. {@code vb.}
 */
public record Topics(String prefix) {
    public static final String DEFAULT_PREFIX = "vb.";
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
     * A topic to create when missing.
     *
     * @param name      topic name
     * @param compacted keep the latest record per key forever (cleanup.policy=compact)
     */
    public record Spec(String name, boolean compacted) {}

    /** The shared topics every process may need (not the per-host command topics). */
    public List<Spec> shared() {
        return List.of(new Spec(inventory(), true), new Spec(hostLoad(), false), new Spec(domainEvents(), false),
                new Spec(commandResults(), false), new Spec(control(), true), new Spec(decisions(), false),
                new Spec(deadLetter(), false), new Spec(leader(), true));
    }

    /** The command topic of {@code host}. */
    public Spec commandsSpec(String host) {
        return new Spec(commands(host), false);
    }
}
