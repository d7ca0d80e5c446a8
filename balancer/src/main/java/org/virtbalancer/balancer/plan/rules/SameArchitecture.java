package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** A running guest's CPU state only makes sense on the same architecture. */
public final class SameArchitecture implements EligibilityRule {
    @Override
    public String name() {
        return "SameArchitecture";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        String from = p.source().facts().arch();
        return context.host(p.target()).map(Host::facts).filter(t -> !t.arch().equals(from))
                .map(t -> Verdict.fail("different CPU architecture", p.target() + " is " + t.arch() + " but "
                        + p.source().name() + " is " + from + "; guests only migrate between hosts of the same architecture."))
                .orElse(Verdict.pass());
    }
}
