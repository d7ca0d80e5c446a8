package org.virtbalancer.deploy.staging;

import org.virtbalancer.protocol.LeaderEpoch;

import java.time.Duration;
import java.util.OptionalLong;

import static org.awaitility.Awaitility.await;

/**
 * One balancer stopped while it led (SIGTERM, as {@code systemctl stop}, or SIGKILL, as a crash) and what
 * the command topics say of the handover: when the old leader's last command and the new leader's first
 * were seen, relative to the signal.
 *
 * @param gapMs       the new leader's first command minus the old leader's last, ms (-1: no command on one side)
 * @param firstMs     the new leader's first command minus the signal, ms (-1: none)
 */
record Handover(String host, String signal, long oldEpoch, long gapMs, long firstMs) {
    /** How long the test waits for the new leader's first command: a correctness bound, not a timing. */
    static final Duration WAIT = Duration.ofSeconds(60);

    /**
     * Signals the leading balancer while {@code drain} issues commands, waits for a newer leader's first
     * command (or for the drain to have nothing left to command), and starts the balancer again with the
     * same ExecStart; returns what happened.
     */
    static Handover of(StagingCluster c, boolean kill, Drain drain) {
        LeaderEpoch before = c.record.leader().orElseThrow();
        String host = c.leaderHost();
        ServiceProcess balancer = c.service(host, StagingCluster.BALANCER);
        long signalled = System.currentTimeMillis();
        if (kill) {
            balancer.kill();
        } else {
            balancer.stop();
        }
        Handover h = after(c, before, host, kill ? "SIGKILL" : "SIGTERM", signalled, drain);
        c.restart(host, StagingCluster.BALANCER, false);
        return h;
    }

    /**
     * Waits for the first command of a leader newer than {@code before}, signalled at {@code signalled}; if the
     * old leader commanded every guest of {@code drain} before it went, there is no gap to measure (-1).
     */
    static Handover after(StagingCluster c, LeaderEpoch before, String host, String signal, long signalled, Drain drain) {
        await().atMost(WAIT).until(() -> c.record.firstCommandAfter(before.epoch()).isPresent() || drain.allCommanded());
        OptionalLong last = c.record.lastCommandOf(before.epoch());
        OptionalLong first = c.record.firstCommandAfter(before.epoch());
        if (first.isEmpty()) {
            return new Handover(host, signal, before.epoch(), -1, -1);
        }
        return new Handover(host, signal, before.epoch(), last.isPresent() ? first.getAsLong() - last.getAsLong() : -1,
                first.getAsLong() - signalled);
    }

    /** Whether a newer leader's command was seen: a handover that can be timed. */
    boolean measured() {
        return firstMs >= 0;
    }

    @Override
    public String toString() {
        if (!measured()) {
            return String.format("%s of the leader on %s (epoch %d): the drain had nothing left to command", signal, host,
                    oldEpoch);
        }
        return String.format("%s of the leader on %s (epoch %d): new leader's first command %d ms after the signal,"
                + " %s after the old leader's last", signal, host, oldEpoch, firstMs, gapMs < 0 ? "n/a" : gapMs + " ms");
    }
}
