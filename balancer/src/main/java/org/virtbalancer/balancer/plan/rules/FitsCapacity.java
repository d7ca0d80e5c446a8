package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;

import java.util.Locale;

/**
 * The target's CPU load (now and expected) and allocated memory after the move, counting moves in
 * flight, stay under their ceilings: memory counts what running guests were given, so an idle host is
 * not over-committed, and expected CPU counts guests that are quiet this minute at their usual level.
 */
public final class FitsCapacity implements EligibilityRule {
    @Override
    public String name() {
        return "FitsCapacity";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        if (context.host(p.target()).isEmpty()) {
            return Verdict.pass();
        }
        Utilisation after = context.projected(p.target()).plus(p.guest());
        if (after.memory() > p.memoryCeiling()) {
            return Verdict.fail("would exceed memory", String.format(Locale.ROOT,
                    "%s memory would reach %.2f with %s, above the %.2f limit.", p.target(), after.memory(),
                    p.guest().name(), p.memoryCeiling()));
        }
        if (Double.isInfinite(p.ceiling())) {
            // An operator's own move: CPU is time-shared, so a busy target slows its guests but loses nothing.
            double cpu = Math.max(after.cpu(), after.expectedCpu());
            return cpu > 1.0 ? Verdict.warn(String.format(Locale.ROOT, "%s cpu would reach %.2f with %s: its guests"
                    + " would share too few CPUs and run slower.", p.target(), cpu, p.guest().name())) : Verdict.pass();
        }
        if (after.cpu() > p.ceiling()) {
            return Verdict.fail("would exceed cpu", String.format(Locale.ROOT,
                    "%s cpu would reach %.2f with %s, above the %.2f ceiling.", p.target(), after.cpu(),
                    p.guest().name(), p.ceiling()));
        }
        if (after.expectedCpu() > p.ceiling()) {
            return Verdict.fail("would exceed cpu", String.format(Locale.ROOT,
                    "%s expected cpu would reach %.2f with %s, above the %.2f ceiling.", p.target(),
                    after.expectedCpu(), p.guest().name(), p.ceiling()));
        }
        return Verdict.pass();
    }
}
