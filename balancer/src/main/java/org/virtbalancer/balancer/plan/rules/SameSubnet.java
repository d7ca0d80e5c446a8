package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** A guest's network addresses only work on the subnet it came from. */
public final class SameSubnet implements EligibilityRule {
    @Override
    public String name() {
        return "SameSubnet";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        String from = p.source().facts().subnet();
        return context.host(p.target())
                .map(h -> h.facts().subnet())
                .filter(to -> !from.isEmpty() && !to.isEmpty() && !to.equals(from))
                .map(to -> Verdict.fail("different subnet", p.target() + " is on subnet " + to + " but "
                        + p.source().name() + " is on " + from + "; the guest would lose its network."))
                .orElse(Verdict.pass());
    }
}
