package org.virtbalancer.protocol;

/**
 * Control: an operator asks for one migration ({@code vbal migrate}, the HTTP API, the live page).
 * The leader checks it against every eligibility rule with the mode and options asked for, runs it
 * through the executor (concurrency limits, deadline, progress) under the command id
 * {@code requestId}, or refuses it, and answers with a {@link RequestOutcome} under the same key.
 *
 * @param requestId   the request's id; also the id of the Migrate command it becomes
 * @param guest       domain name
 * @param target      host id from the cluster inventory
 * @param mode        live, non-live or offline (virsh: {@code --live}, neither, {@code --offline})
 * @param options     virsh's options
 * @param requestedAt epoch millis; a request not started within {@link #TTL_MS} of this is dropped
 * @param requestedBy who asked (free text for the audit trail, e.g. {@code vbal on ops-1})
 */
public record RequestMigration(String requestId, String guest, String target, MigrationMode mode, MigrationOptions options,
                               long requestedAt, String requestedBy) implements Message {
    /** How long a request may wait for a free migration slot before it is dropped. */
    public static final long TTL_MS = 10 * 60_000L;

    public RequestMigration {
        Check.name("requestId", requestId);
        Check.name("guest", guest);
        Check.name("target", target);
        Check.present("mode", mode);
        Check.present("options", options);
        Check.positive("requestedAt", requestedAt);
        requestedBy = Check.optionalText("requestedBy", requestedBy);
        if (mode == MigrationMode.OFFLINE && !options.persistent()) {
            throw new InvalidMessageException("options.persistent", "offline migration requires persistent");
        }
    }
}
