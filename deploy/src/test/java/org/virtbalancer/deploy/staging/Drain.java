package org.virtbalancer.deploy.staging;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A maintenance drain of one simulated host of the fleet, sent with the installed {@code vbal}, and what the
 * topics say of it: which of its guests were commanded and moved, each exactly once.
 */
final class Drain {
    final String host;
    final Set<String> guests;
    final long since;
    private final StagingCluster c;

    private Drain(StagingCluster c, String host, Set<String> guests, long since) {
        this.c = c;
        this.host = host;
        this.guests = guests;
        this.since = since;
    }

    /**
     * Drains the first simulated host, from {@code sim-<from>} on, that holds only its own guests (none moved
     * there by an earlier drain, so that no guest is drained twice), and waits until it issued two commands.
     */
    static Drain start(StagingCluster c, int from) throws Exception {
        for (int n = from; n < StagingCluster.FLEET; n++) {
            String host = "sim-" + n;
            Set<String> guests = c.record.guestsOn(host);
            if (!guests.isEmpty() && guests.stream().allMatch(g -> g.startsWith(host + "-vm-"))) {
                long since = System.currentTimeMillis();
                c.vbal(c.host("kvm-1"), "maintenance", "enter", host);
                Drain d = new Drain(c, host, guests, since);
                await().atMost(Duration.ofMinutes(1)).until(() -> c.record.migrates(guests, since).size() >= 2);
                return d;
            }
        }
        throw new IllegalStateException("no simulated host from sim-" + from + " holds only its own guests");
    }

    /** Whether every guest of the host has been commanded to move off it. */
    boolean allCommanded() {
        return c.record.commandsPerGuest(guests, since, host).keySet().containsAll(guests);
    }

    /** Waits until the inventory shows the host empty: none of its guests is left to move onto another drained host. */
    void awaitEmpty() {
        await().atMost(Duration.ofMinutes(4)).until(() -> c.record.guestsOn(host).isEmpty());
    }

    /**
     * Waits until the host is empty and in maintenance; checks that each of its guests was commanded off it
     * once and moved off it once (a later drain of the host it went to may move it again: another request).
     */
    void awaitCompletedOnce() throws Exception {
        awaitEmpty();
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertTrue(c.vbal(c.host("kvm-1"), "maintenance", "status",
                host).contains("IN_MAINTENANCE")));
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertEquals(guests,
                c.record.movesPerGuest(guests, since, host).keySet(), "every guest of " + host + " moved"));
        Map<String, Long> moves = c.record.movesPerGuest(guests, since, host);
        moves.forEach((g, n) -> assertEquals(1L, n, () -> g + " moved off " + host + " " + n + " times"
                + c.record.history(g, since)));
        c.record.commandsPerGuest(guests, since, host).forEach((g, n) -> assertEquals(1L, n,
                () -> n + " commands to move " + g + " off " + host + c.record.history(g, since)));
    }

    /** Returns the host to service. */
    void exit() throws Exception {
        c.vbal(c.host("kvm-1"), "maintenance", "exit", host);
    }
}
