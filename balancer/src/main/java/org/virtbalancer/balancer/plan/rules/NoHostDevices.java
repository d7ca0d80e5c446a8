package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.MigrationMode;

/** PCI passthrough and SR-IOV devices hold state QEMU cannot carry over while the guest runs. */
public final class NoHostDevices implements EligibilityRule {
    @Override
    public String name() {
        return "NoHostDevices";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        var devices = p.guest().descriptor().hostDevices();
        if (p.mode() != MigrationMode.OFFLINE && !devices.isEmpty()) {
            return Verdict.fail("host devices", p.guest().name() + " has host device " + devices.get(0)
                    + " passed through; detach it before a live or non-live migration.");
        }
        return Verdict.pass();
    }
}
