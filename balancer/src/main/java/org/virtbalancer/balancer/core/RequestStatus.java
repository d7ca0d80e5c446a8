package org.virtbalancer.balancer.core;

/**
 * Where an operator's migration request stands ({@code GET /api/migrations/ID}, {@code vbal migrate}).
 *
 * @param requestId the request's id, also its command id once issued
 * @param guest     the guest
 * @param source    the host it leaves; empty until the command is issued
 * @param target    the host asked for
 * @param state     see {@link State}
 * @param percent   progress while running, 100 when done
 * @param reason    why it waits, was refused or failed; the move's reason while it runs
 */
public record RequestStatus(String requestId, String guest, String source, String target, State state, int percent,
                            String reason) {
    public enum State {
        /** Seen, not answered yet (the leader checks it on its next tick, or a slot is full). */
        WAITING,
        /** A rule or precondition refused it; nothing ran. */
        REFUSED,
        /** Issued; this balancer has not seen progress or an end yet. */
        ACCEPTED,
        RUNNING,
        SUCCEEDED,
        FAILED;

        public boolean isFinal() {
            return this == REFUSED || this == SUCCEEDED || this == FAILED;
        }
    }
}
