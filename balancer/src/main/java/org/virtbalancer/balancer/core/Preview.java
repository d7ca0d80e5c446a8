package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;

import java.util.List;

/**
 * What {@link BalancerCore#tick()} would plan if it ran now: each draining host's moves, then
 * balancing, worked out on a copy of the model. Nothing is issued, recommended or remembered.
 *
 * @param at              clock time it was made
 * @param automation      level in force, which decides whether the moves would be issued or recommended
 * @param inFlight        migrations in flight, counted as done in every figure here
 * @param steps           one per trigger with something to say, in the order tick acts on them
 * @param imbalanceBefore cluster imbalance now
 * @param imbalanceAfter  predicted after every move of every step
 */
public record Preview(long at, AutomationLevel automation, int inFlight, List<Step> steps, double imbalanceBefore,
                      double imbalanceAfter) {
    public Preview {
        steps = List.copyOf(steps);
    }

    /** Every move of every step, in order. */
    public List<ProposedMove> allMoves() {
        return steps.stream().flatMap(s -> s.moves().stream()).toList();
    }

    /** True when no step has a move or a reason for not moving. */
    public boolean idle() {
        return steps.isEmpty();
    }

    /**
     * What one trigger would lead to.
     *
     * @param trigger         e.g. {@code overload host-1} or {@code maintenance host-3}, as in PlanDecision
     * @param purpose         balancing or maintenance
     * @param wouldIssue      true when tick would send these moves now; false when it would recommend them for approval
     * @param moves           the moves, in issue order
     * @param notMoved        why nothing (more) would move, one sentence each
     * @param imbalanceBefore before this step's moves (earlier steps' moves counted)
     * @param imbalanceAfter  after them
     */
    public record Step(String trigger, Purpose purpose, boolean wouldIssue, List<ProposedMove> moves,
                       List<String> notMoved, double imbalanceBefore, double imbalanceAfter) {
        public Step {
            moves = List.copyOf(moves);
            notMoved = List.copyOf(notMoved);
        }
    }

    /**
     * One move, with its reason and what it is expected to do.
     *
     * @param guest        domain name
     * @param source       from
     * @param target       to
     * @param mode         kind of migration
     * @param options      its options
     * @param reason       why this guest and this target
     * @param sourceBefore source's binding load (0-1) before the move
     * @param sourceAfter  after
     * @param targetBefore target's binding load before
     * @param targetAfter  after
     * @param transferMiB  memory expected to be copied
     * @param durationMs   expected time from start to the guest running on the target
     * @param downtimeMs   expected time the guest is paused
     */
    public record ProposedMove(String guest, String source, String target, MigrationMode mode, MigrationOptions options,
                               String reason, double sourceBefore, double sourceAfter, double targetBefore,
                               double targetAfter, long transferMiB, long durationMs, long downtimeMs) {}
}
