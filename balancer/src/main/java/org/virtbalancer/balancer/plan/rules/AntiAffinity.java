package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** Guests of one anti-affinity group (label vb.anti-affinity) must not share a host. */
public final class AntiAffinity implements EligibilityRule {
    @Override
    public String name() {
        return "AntiAffinity";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        var group = p.guest().antiAffinityGroup();
        if (group.isEmpty()) {
            return Verdict.pass();
        }
        return context.guestsOn(p.target()).stream()
                .filter(g -> !g.name().equals(p.guest().name()))
                .filter(g -> g.antiAffinityGroup().equals(group))
                .findFirst()
                .map(other -> Verdict.fail("anti-affinity", p.target() + " already has " + other.name()
                        + " of anti-affinity group " + group.get() + " (label " + Guest.ANTI_AFFINITY_LABEL + ")."))
                .orElse(Verdict.pass());
    }
}
