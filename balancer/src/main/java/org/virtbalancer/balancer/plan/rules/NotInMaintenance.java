package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.MaintenanceState;

/** Hosts entering or in maintenance take no guests. */
public final class NotInMaintenance implements EligibilityRule {
    @Override
    public String name() {
        return "NotInMaintenance";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        MaintenanceState state = context.maintenance(p.target());
        return switch (state) {
            case ACTIVE -> Verdict.pass();
            case ENTERING -> Verdict.fail("in maintenance", p.target() + " is entering maintenance and takes no guests.");
            case IN_MAINTENANCE -> Verdict.fail("in maintenance", p.target() + " is in maintenance and takes no guests.");
        };
    }
}
