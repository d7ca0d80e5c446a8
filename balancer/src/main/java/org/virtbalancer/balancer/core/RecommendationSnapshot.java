package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.execute.Purpose;

import java.util.List;

/**
 * A plan recommended and waiting for an operator's ApprovePlan.
 *
 * @param planId    what ApprovePlan names
 * @param trigger   what made the balancer plan
 * @param purpose   balancing or maintenance
 * @param moves     the moves it would start
 * @param createdAt when it was recommended
 * @param expiresAt when it is dropped unless approved (a fresh one follows if still needed)
 */
public record RecommendationSnapshot(String planId, String trigger, Purpose purpose, List<Move> moves, long createdAt,
                                     long expiresAt) {
    public RecommendationSnapshot {
        moves = List.copyOf(moves);
    }

    /**
     * One move of the plan.
     *
     * @param guest  domain name
     * @param source from
     * @param target to
     * @param reason why
     */
    public record Move(String guest, String source, String target, String reason) {}
}
