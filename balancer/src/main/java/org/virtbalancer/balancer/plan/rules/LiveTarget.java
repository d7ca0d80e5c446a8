package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** Only hosts that report in take guests: a silent host may be down or cut off. */
public final class LiveTarget implements EligibilityRule {
    @Override
    public String name() {
        return "LiveTarget";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (context.host(p.target()).isEmpty()) {
            return Verdict.fail("unknown", p.target() + " is not a known host: it has sent no inventory.");
        }
        if (context.isStale(p.target())) {
            long s = context.secondsSinceSample(p.target());
            return Verdict.fail("stale (no recent load sample)", s < 0
                    ? p.target() + " has sent no load sample yet, so it receives no guests; check its agent."
                    : p.target() + " has sent no load sample for " + s + " s, so it receives no guests; check its agent.");
        }
        return Verdict.pass();
    }
}
