package org.virtbalancer.protocol;

/**
 * Control: carry out a recommended plan.
 *
 * @param planId the plan's id from a Plan decision
 */
public record ApprovePlan(String planId) implements Message {
    public ApprovePlan {
        Check.text("planId", planId);
    }
}
