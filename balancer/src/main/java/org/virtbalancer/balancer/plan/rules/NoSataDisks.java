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
        return p.guest().descriptor().disks().stream()
                .filter(d -> d.bus().equalsIgnoreCase("sata"))
                .map(Disk::target)
                .findFirst()
                .map(t -> Verdict.fail("SATA disk", p.guest().name() + " has SATA disk " + t
                        + ", which cannot be migrated; attach it as virtio or scsi instead."))
                .orElse(Verdict.pass());
    }
}
