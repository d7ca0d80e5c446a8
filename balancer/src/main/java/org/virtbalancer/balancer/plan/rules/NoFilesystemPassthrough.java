package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

/** A host directory passed through to the guest does not exist on another host. */
public final class NoFilesystemPassthrough implements EligibilityRule {
    @Override
    public String name() {
        return "NoFilesystemPassthrough";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.guest().descriptor().filesystemPassthrough()) {
            return Verdict.fail("filesystem passthrough", p.guest().name()
                    + " has a host directory passed through, which cannot be migrated; remove the filesystem device first.");
        }
        return Verdict.pass();
    }
}
