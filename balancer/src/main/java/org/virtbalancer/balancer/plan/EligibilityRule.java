package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.plan.rules.Affinity;
import org.virtbalancer.balancer.plan.rules.AntiAffinity;
import org.virtbalancer.balancer.plan.rules.CacheModeNone;
import org.virtbalancer.balancer.plan.rules.DifferentHost;
import org.virtbalancer.balancer.plan.rules.FitsCapacity;
import org.virtbalancer.balancer.plan.rules.InHostGroup;
import org.virtbalancer.balancer.plan.rules.LiveTarget;
import org.virtbalancer.balancer.plan.rules.MigratableCpuMode;
import org.virtbalancer.balancer.plan.rules.NoBackwardMigration;
import org.virtbalancer.balancer.plan.rules.NoEarlierFailure;
import org.virtbalancer.balancer.plan.rules.NoFilesystemPassthrough;
import org.virtbalancer.balancer.plan.rules.NoHostDevices;
import org.virtbalancer.balancer.plan.rules.NoSameNamedGuest;
import org.virtbalancer.balancer.plan.rules.NoSataDisks;
import org.virtbalancer.balancer.plan.rules.NotInMaintenance;
import org.virtbalancer.balancer.plan.rules.NotPinned;
import org.virtbalancer.balancer.plan.rules.SameArchitecture;
import org.virtbalancer.balancer.plan.rules.SameQemuIdentity;
import org.virtbalancer.balancer.plan.rules.SameSubnet;
import org.virtbalancer.balancer.plan.rules.SharedStorage;
import org.virtbalancer.balancer.plan.rules.StateFitsMode;

import java.util.List;

/**
 * One placement filter, as a Kubernetes scheduler plugin: a name and a check that passes or
 * fails with a reason. The planner runs every rule and keeps every failure for explanations.
 */
public interface EligibilityRule {
    String name();

    Verdict check(Placement placement, PlacementContext context);

    /** True when the rule looks at the guest alone, so a failure fails it on every host. */
    default boolean aboutGuest() {
        return false;
    }

    /** Every eligibility rule, cheap guest-only checks first. */
    static List<EligibilityRule> standard() {
        return List.of(new NotPinned(), new StateFitsMode(), new MigratableCpuMode(), new NoSataDisks(),
                new NoFilesystemPassthrough(), new NoHostDevices(), new CacheModeNone(), new DifferentHost(),
                new LiveTarget(), new NotInMaintenance(), new SameArchitecture(), new NoBackwardMigration(),
                new SameSubnet(), new SharedStorage(), new SameQemuIdentity(), new InHostGroup(), new NoSameNamedGuest(), new AntiAffinity(), new Affinity(),
                new NoEarlierFailure(), new FitsCapacity());
    }
}
