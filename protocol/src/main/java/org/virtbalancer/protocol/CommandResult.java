package org.virtbalancer.protocol;

/**
 * An agent's report on a command: Accepted, Progress(%), Succeeded, Failed or Rejected, each
 * with a reason. Keyed by command id on the {@code command-results} topic.
 *
 * @param commandId the command's envelope id
 * @param host      the agent's host
 * @param guest     the guest concerned
 * @param status    where it stands
 * @param percent   progress, 0-100
 * @param reason    why (for Failed and Rejected: what went wrong and what to do)
 * @param stats     what the migration did so far
 */
public record CommandResult(String commandId, String host, String guest, ResultStatus status, int percent, String reason,
                            MigrationStats stats) implements Message {
    public CommandResult {
        Check.text("commandId", commandId);
        Check.name("host", host);
        Check.name("guest", guest);
        Check.present("status", status);
        Check.range("percent", percent, 0, 100);
        reason = Check.optionalText("reason", reason);
        stats = stats == null ? MigrationStats.NONE : stats;
    }
}
