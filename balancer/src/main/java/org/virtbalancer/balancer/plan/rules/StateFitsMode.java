package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.MigrationMode;

/** Running and paused guests move live or non-live; shut-off persistent guests only offline; the rest not at all. */
public final class StateFitsMode implements EligibilityRule {
    @Override
    public String name() {
        return "StateFitsMode";
    }

    @Override
    public boolean aboutGuest() {
        return true;
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        GuestDescriptor g = p.guest().descriptor();
        String name = g.name();
        return switch (g.state()) {
            case RUNNING, PAUSED -> p.mode() == MigrationMode.OFFLINE
                    ? Verdict.fail("guest state", name + " is " + g.state().name().toLowerCase()
                    + "; offline migration is only for shut-off guests, use a live or non-live migration.")
                    : Verdict.pass();
            case SHUTOFF -> {
                if (!g.persistent()) {
                    yield Verdict.fail("guest state", name + " is shut off and transient: there is no definition to"
                            + " migrate; define it persistently or remove it.");
                }
                yield p.mode() == MigrationMode.OFFLINE ? Verdict.pass()
                        : Verdict.fail("guest state", name + " is shut off; only an offline migration can move it.");
            }
            case CRASHED -> Verdict.fail("guest state", name + " has crashed and cannot be migrated; restart or"
                    + " destroy it first.");
            case MIGRATING -> Verdict.fail("guest state", name + " is already migrating; wait until it has finished.");
        };
    }
}
