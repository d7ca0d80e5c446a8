package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.PlannedMove;
import org.virtbalancer.protocol.PreCopyModel;

/**
 * A move the planner decided, not yet issued.
 *
 * @param guest        the guest as it is now
 * @param source       from
 * @param target       to
 * @param mode         kind of migration
 * @param options      its options
 * @param prediction   predicted cost and duration
 * @param reason       why this guest and this target, one readable line
 * @param sourceBefore source's load before the move, in the resource the move is about (CPU, or memory for
 *                     memory relief)
 * @param sourceAfter  after
 * @param targetBefore target's load before, in the same resource
 * @param targetAfter  after
 */
public record Move(Guest guest, String source, String target, MigrationMode mode, MigrationOptions options,
                   PreCopyModel.Prediction prediction, String reason, double sourceBefore, double sourceAfter,
                   double targetBefore, double targetAfter) {
    public long costMiB() {
        return Math.round(prediction.transferredMiB());
    }

    public PlannedMove planned(String commandId) {
        return new PlannedMove(commandId, guest.name(), source, target, mode, reason, Math.max(0, sourceBefore),
                Math.max(0, sourceAfter), Math.max(0, targetBefore), Math.max(0, targetAfter), costMiB());
    }
}
