package org.virtbalancer.protocol;

/**
 * Control, from the leader: what became of a {@link RequestMigration}, written under the request's
 * key so the compacted control topic keeps the answer, not the request, and no later leader runs it
 * again.
 *
 * @param requestId the request's id
 * @param guest     the guest it asked to move
 * @param target    the host it asked for
 * @param accepted  true when the Migrate command (with id {@code requestId}) was sent
 * @param reason    when refused, why, with every failing rule; when accepted, the move's summary
 * @param at        epoch millis of the answer
 */
public record RequestOutcome(String requestId, String guest, String target, boolean accepted, String reason, long at)
        implements Message {
    public RequestOutcome {
        Check.name("requestId", requestId);
        Check.name("guest", guest);
        Check.name("target", target);
        reason = Check.optionalText("reason", reason);
        Check.positive("at", at);
    }
}
