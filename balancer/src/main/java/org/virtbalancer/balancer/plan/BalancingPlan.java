package org.virtbalancer.balancer.plan;

import java.util.List;

/**
 * What balancing decided in one round.
 *
 * @param moves           the moves, in the order they should be issued
 * @param notMoved        why nothing more was done, one sentence each
 * @param imbalanceBefore cluster imbalance before (moves in flight counted as done)
 * @param imbalanceAfter  predicted after these moves
 */
public record BalancingPlan(List<Move> moves, List<String> notMoved, double imbalanceBefore, double imbalanceAfter) {
    public BalancingPlan {
        moves = List.copyOf(moves);
        notMoved = List.copyOf(notMoved);
    }
}
