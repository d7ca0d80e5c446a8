package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** Operators pin guests that must stay where they are. */
public final class NotPinned implements EligibilityRule {
    @Override
    public String name() {
        return "NotPinned";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.guest().isPinned()) {
            return Verdict.fail("pinned", p.guest().name() + " is pinned to " + p.source().name() + " (label "
                    + Guest.PINNED_LABEL + "=true); remove the label or move it by hand.");
        }
        return Verdict.pass();
    }
}
