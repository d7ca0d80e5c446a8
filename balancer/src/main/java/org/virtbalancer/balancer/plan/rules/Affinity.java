package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.MaintenanceState;

import java.util.Set;
import java.util.TreeSet;

/**
 * Guests of one affinity group (label vb.affinity) run together. A member may join members that
 * already run elsewhere; it may not leave the others behind on its host, except when that host is
 * being drained (then the first to leave picks the host and the rest follow it).
 */
public final class Affinity implements EligibilityRule {
    @Override
    public String name() {
        return "Affinity";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        var group = p.guest().affinityGroup();
        if (group.isEmpty()) {
            return Verdict.pass();
        }
        String source = p.source().name();
        Set<String> elsewhere = new TreeSet<>();
        int onSource = 0;
        for (Host h : context.hosts()) {
            for (Guest g : context.guestsOn(h.name())) {
                if (!g.name().equals(p.guest().name()) && g.isActive() && g.affinityGroup().equals(group)) {
                    if (h.name().equals(source)) {
                        onSource++;
                    } else {
                        elsewhere.add(h.name());
                    }
                }
            }
        }
        if (!elsewhere.isEmpty()) {
            return elsewhere.contains(p.target()) ? Verdict.pass() : Verdict.fail("affinity group elsewhere",
                    p.guest().name() + " belongs with affinity group " + group.get() + " on " + String.join(", ", elsewhere)
                            + " (label " + Guest.AFFINITY_LABEL + "), not on " + p.target() + ".");
        }
        if (onSource > 0 && context.maintenance(source) == MaintenanceState.ACTIVE) {
            return Verdict.fail("would split affinity group", "moving " + p.guest().name() + " alone would leave "
                    + onSource + " other member" + (onSource == 1 ? "" : "s") + " of affinity group " + group.get()
                    + " on " + source + " (label " + Guest.AFFINITY_LABEL + "); balancing keeps the group together.");
        }
        return Verdict.pass();
    }
}
