package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

import java.util.Arrays;
import java.util.Optional;

/**
 * A guest labelled vb.host-group=G only goes to hosts whose own vb.host-group label (a comma-separated
 * list) names G, e.g. licensed or GPU racks.
 */
public final class InHostGroup implements EligibilityRule {
    @Override
    public String name() {
        return "InHostGroup";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        var group = p.guest().hostGroup();
        if (group.isEmpty()) {
            return Verdict.pass();
        }
        Optional<Host> target = context.host(p.target());
        if (target.isEmpty()) {
            return Verdict.pass(); // LiveTarget reports unknown hosts
        }
        String groups = target.get().facts().labels().getOrDefault(Guest.HOST_GROUP_LABEL, "");
        boolean member = Arrays.stream(groups.split(",")).map(String::trim).anyMatch(group.get()::equals);
        return member ? Verdict.pass() : Verdict.fail("not in host group " + group.get(), p.target()
                + " is not in host group " + group.get() + " that " + p.guest().name() + " is limited to (host label "
                + Guest.HOST_GROUP_LABEL + (groups.isBlank() ? " unset" : "=" + groups) + ").");
    }
}
