package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

import java.util.Optional;

/** libvirt refuses a guest whose name runs on the target already; a shut-off one is overwritten. */
public final class NoSameNamedGuest implements EligibilityRule {
    @Override
    public String name() {
        return "NoSameNamedGuest";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (p.target().equals(p.source().name())) {
            return Verdict.pass(); // the guest itself; DifferentHost says why it cannot go there
        }
        Optional<Guest> twin = context.guestOn(p.target(), p.guest().name());
        if (twin.isEmpty()) {
            return Verdict.pass();
        }
        if (twin.get().isActive()) {
            return Verdict.fail("same-named guest running", "a " + twin.get().state().name().toLowerCase()
                    + " guest named " + p.guest().name() + " already exists on " + p.target() + ".");
        }
        return Verdict.warn("the shut-off definition of " + p.guest().name() + " on " + p.target()
                + " will be overwritten.");
    }
}
