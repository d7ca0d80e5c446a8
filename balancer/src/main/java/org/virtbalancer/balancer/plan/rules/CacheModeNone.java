package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.MigrationMode;

/** Host-side disk caches may hold writes the target never sees; libvirt demands cache=none unless unsafe. */
public final class CacheModeNone implements EligibilityRule {
    @Override
    public String name() {
        return "CacheModeNone";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.options().unsafe() || p.mode() == MigrationMode.OFFLINE) {
            return Verdict.pass();
        }
        // An empty cache mode is the hypervisor default, which libvirt accepts for shared storage.
        for (Disk d : p.guest().descriptor().disks()) {
            if (!d.cache().isEmpty() && !d.cache().equalsIgnoreCase("none")) {
                return Verdict.fail("disk cache mode not none", p.guest().name() + " disk " + d.target()
                        + " uses cache mode " + d.cache() + "; set cache='none' or allow an unsafe migration.");
            }
        }
        return Verdict.pass();
    }
}
