package org.virtbalancer.protocol;

/**
 * One move of a plan, with why and what it is expected to do.
 *
 * @param commandId         the Migrate command's id when issued, else empty
 * @param guest             domain name
 * @param source            from
 * @param target            to
 * @param mode              kind of migration
 * @param reason            why this guest and this target
 * @param sourceLoadBefore  source's normalised load before (0-1, the binding resource)
 * @param sourceLoadAfter   after
 * @param targetLoadBefore  target's normalised load before
 * @param targetLoadAfter   after
 * @param costMiB           memory expected to be copied
 */
public record PlannedMove(String commandId, String guest, String source, String target, MigrationMode mode, String reason,
                          double sourceLoadBefore, double sourceLoadAfter, double targetLoadBefore, double targetLoadAfter,
                          long costMiB) {
    public PlannedMove {
        commandId = Check.optionalText("commandId", commandId);
        Check.name("guest", guest);
        Check.name("source", source);
        Check.name("target", target);
        Check.present("mode", mode);
        reason = Check.optionalText("reason", reason);
        Check.nonNegative("sourceLoadBefore", sourceLoadBefore);
        Check.nonNegative("sourceLoadAfter", sourceLoadAfter);
        Check.nonNegative("targetLoadBefore", targetLoadBefore);
        Check.nonNegative("targetLoadAfter", targetLoadAfter);
        Check.nonNegative("costMiB", costMiB);
    }
}
