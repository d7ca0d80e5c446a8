package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.Disk;

/** QEMU cannot migrate guests with SATA (AHCI) disk devices. */
public final class NoSataDisks implements EligibilityRule {
    @Override
    public String name() {
        return "NoSataDisks";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.mode() == MigrationMode.OFFLINE) {
            return Verdict.pass(); // no device state to carry
        }
        for (Disk d : p.guest().descriptor().disks()) {
            if (d.bus().equalsIgnoreCase("sata")) {
                return Verdict.fail("SATA disk", p.guest().name() + " has SATA disk " + d.target()
                        + ", which cannot be migrated; attach it as virtio or scsi instead.");
            }
        }
        return Verdict.pass();
    }
}
