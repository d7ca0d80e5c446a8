package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** After a failed migration to a host, the retry goes somewhere else. */
public final class NoEarlierFailure implements EligibilityRule {
    @Override
    public String name() {
        return "NoEarlierFailure";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        return context.earlierFailure(p.guest().name(), p.target())
                .map(reason -> Verdict.fail("earlier migration failed", "migrating " + p.guest().name() + " to "
                        + p.target() + " failed recently: " + reason))
                .orElse(Verdict.pass());
    }
}
