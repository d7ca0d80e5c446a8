package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** A guest cannot migrate to the host it is on. */
public final class DifferentHost implements EligibilityRule {
    @Override
    public String name() {
        return "DifferentHost";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.target().equals(p.source().name())) {
            return Verdict.fail("is its current host", p.target() + " is the host " + p.guest().name() + " is already on.");
        }
        return Verdict.pass();
    }
}
