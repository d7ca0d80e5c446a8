package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * Decision: a plan the balancer made, with a reason per move and the cluster imbalance
 * (standard deviation of normalised host load) before and after.
 *
 * @param planId           unique id
 * @param trigger          what caused it, e.g. {@code overload host-1} or {@code maintenance host-3}
 * @param automation       level in force when it was made
 * @param executed         whether its moves were issued (false: a recommendation)
 * @param imbalanceBefore  before the moves
 * @param imbalanceAfter   predicted after
 * @param moves            the moves
 * @param notMoved         why nothing (more) could be done, one line per reason
 */
public record PlanDecision(String planId, String trigger, AutomationLevel automation, @JsonProperty(required = true) boolean executed,
                           @JsonProperty(required = true) double imbalanceBefore, @JsonProperty(required = true) double imbalanceAfter, List<PlannedMove> moves, List<String> notMoved) implements Message {
    public PlanDecision {
        Check.text("planId", planId);
        Check.text("trigger", trigger);
        Check.present("automation", automation);
        Check.nonNegative("imbalanceBefore", imbalanceBefore);
        Check.nonNegative("imbalanceAfter", imbalanceAfter);
        moves = Check.list("moves", moves);
        notMoved = Check.list("notMoved", notMoved);
    }
}
