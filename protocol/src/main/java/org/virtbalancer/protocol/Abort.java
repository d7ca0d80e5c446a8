package org.virtbalancer.protocol;

/**
 * Command: stop the migration started by command {@code commandId}, if still running.
 *
 * @param commandId the Migrate command to abort
 * @param guest     its guest
 * @param reason    why
 */
public record Abort(String commandId, String guest, String reason) implements Message {
    public Abort {
        Check.text("commandId", commandId);
        Check.name("guest", guest);
        reason = Check.optionalText("reason", reason);
    }
}
