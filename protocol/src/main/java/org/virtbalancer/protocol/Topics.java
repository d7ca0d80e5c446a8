package org.virtbalancer.protocol;

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
}
