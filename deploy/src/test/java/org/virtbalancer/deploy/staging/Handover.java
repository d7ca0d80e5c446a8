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
     * Signals the leading balancer, waits for a newer leader's first command (while commands are due, e.g.
     * a drain runs), and starts the balancer again with the same ExecStart; returns what happened.
     */
    static Handover of(StagingCluster c, boolean kill) {
        LeaderEpoch before = c.record.leader().orElseThrow();
        String host = c.leaderHost();
        ServiceProcess balancer = c.service(host, StagingCluster.BALANCER);
        long signalled = System.currentTimeMillis();
        if (kill) {
            balancer.kill();
        } else {
            balancer.stop();
        }
        Handover h = after(c, before, host, kill ? "SIGKILL" : "SIGTERM", signalled);
        c.restart(host, StagingCluster.BALANCER, false);
        return h;
    }

    /** Waits for the first command of a leader newer than {@code before}, signalled at {@code signalled}. */
    static Handover after(StagingCluster c, LeaderEpoch before, String host, String signal, long signalled) {
        await().atMost(WAIT).until(() -> c.record.firstCommandAfter(before.epoch()).isPresent());
        OptionalLong last = c.record.lastCommandOf(before.epoch());
        long first = c.record.firstCommandAfter(before.epoch()).orElseThrow();
        return new Handover(host, signal, before.epoch(), last.isPresent() ? first - last.getAsLong() : -1, first - signalled);
    }

    @Override
    public String toString() {
        return String.format("%s of the leader on %s (epoch %d): new leader's first command %d ms after the signal,"
                + " %s after the old leader's last", signal, host, oldEpoch, firstMs, gapMs < 0 ? "n/a" : gapMs + " ms");
    }
}
