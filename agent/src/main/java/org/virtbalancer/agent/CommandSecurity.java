package org.virtbalancer.agent;

import org.virtbalancer.protocol.Check;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an agent checks of a command beyond its validity, before it runs it (issue 8). {@link #NONE}
 * checks nothing more, as agents did before: any valid command to a host of the inventory runs.
 *
 * @param keyFile        file of the signing keys ({@code ID=BASE64KEY} lines) commands must be signed
 *                       with; empty: commands need no signature. Read again when it changes, so a
 *                       key can be added or removed without a restart
 * @param window         a signed command must have been issued within this of the agent's clock,
 *                       either way (default 5 min)
 * @param allowedTargets the only hosts migrations may go to, besides their being in the inventory;
 *                       empty: any host of the inventory
 */
public record CommandSecurity(Optional<Path> keyFile, Duration window, Set<String> allowedTargets) {
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);
    /** No signatures, no allow-list. */
    public static final CommandSecurity NONE = new CommandSecurity(Optional.empty(), DEFAULT_WINDOW, Set.of());

    public CommandSecurity {
        Check.present("keyFile", keyFile);
        if (window == null || window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("the signature window must be at least 1 s, got " + window);
        }
        Check.present("allowedTargets", allowedTargets);
        allowedTargets.forEach(h -> Check.name("allowed target", h));
        allowedTargets = java.util.Collections.unmodifiableSet(new TreeSet<>(allowedTargets));
    }

    /** Commands must be signed with a key of {@code file}. */
    public CommandSecurity withKeyFile(Path file) {
        return new CommandSecurity(Optional.of(file), window, allowedTargets);
    }

    public CommandSecurity withWindow(Duration value) {
        return new CommandSecurity(keyFile, value, allowedTargets);
    }

    /** Migrations go only to these hosts (and only while they are in the inventory). */
    public CommandSecurity withAllowedTargets(Set<String> hosts) {
        return new CommandSecurity(keyFile, window, hosts);
    }

    /** Whether commands must be signed. */
    public boolean signed() {
        return keyFile.isPresent();
    }

    /** Whether a migration may go to {@code host} as far as the allow-list goes. */
    public boolean allows(String host) {
        return allowedTargets.isEmpty() || allowedTargets.contains(host);
    }
}
