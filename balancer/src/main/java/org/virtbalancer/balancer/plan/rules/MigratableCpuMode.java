package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.MigrationMode;

/** host-passthrough and host-model tie a running guest to its host's exact CPU. */
public final class MigratableCpuMode implements EligibilityRule {
    @Override
    public String name() {
        return "MigratableCpuMode";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        String mode = p.guest().descriptor().cpuMode();
        // Offline moves carry only the definition; the guest boots on the target CPU.
        if (p.mode() != MigrationMode.OFFLINE && (mode.equals("host-passthrough") || mode.equals("host-model"))) {
            return Verdict.fail("host-bound CPU mode", p.guest().name() + " uses CPU mode " + mode
                    + ", which ties it to its host's CPU; give it a custom CPU model to make it migratable.");
        }
        return Verdict.pass();
    }
}
