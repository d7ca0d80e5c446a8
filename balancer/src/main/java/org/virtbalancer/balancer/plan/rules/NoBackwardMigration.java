package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.HostFacts;

import java.util.function.Function;
import java.util.regex.Pattern;

/** An older libvirt or QEMU may not understand a newer one's machine state. */
public final class NoBackwardMigration implements EligibilityRule {
    private static final Pattern NON_DIGITS = Pattern.compile("[^0-9]+");

    @Override
    public String name() {
        return "NoBackwardMigration";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        var target = context.host(p.target());
        if (target.isEmpty()) {
            return Verdict.pass();
        }
        HostFacts from = p.source().facts();
        HostFacts to = target.get().facts();
        Verdict libvirt = compare("libvirt", HostFacts::libvirtVersion, from, to);
        return libvirt.passed() ? compare("QEMU", HostFacts::qemuVersion, from, to) : libvirt;
    }

    private static Verdict compare(String what, Function<HostFacts, String> version, HostFacts from, HostFacts to) {
        String a = version.apply(from);
        String b = version.apply(to);
        // Equal versions are never older; most clusters run one version, so skip parsing it.
        if (!a.equals(b) && !a.isEmpty() && !b.isEmpty() && compareVersions(b, a) < 0) {
            return Verdict.fail("older " + what, to.host() + " runs " + what + " " + b + ", older than " + a + " on "
                    + from.host() + "; migrating to an older version is not supported.");
        }
        return Verdict.pass();
    }

    /** Compares dotted versions numerically: 10.0.0 is newer than 9.10.0. */
    public static int compareVersions(String a, String b) {
        String[] x = NON_DIGITS.split(a);
        String[] y = NON_DIGITS.split(b);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long xi = i < x.length && !x[i].isEmpty() ? parse(x[i]) : 0;
            long yi = i < y.length && !y[i].isEmpty() ? parse(y[i]) : 0;
            if (xi != yi) {
                return Long.compare(xi, yi);
            }
        }
        return 0;
    }

    private static long parse(String digits) {
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
}
