package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.QemuIdentity;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * QEMU runs as the same UID, and the kvm/qemu/libvirt groups have the same GIDs, on both hosts:
 * otherwise the guest's files on shared storage are not readable by the QEMU on the target. A host
 * whose identity the agent could not read is not judged.
 */
public final class SameQemuIdentity implements EligibilityRule {
    @Override
    public String name() {
        return "SameQemuIdentity";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        Optional<Host> target = context.host(p.target());
        if (target.isEmpty()) {
            return Verdict.pass();
        }
        QemuIdentity from = p.source().facts().qemu();
        QemuIdentity to = target.get().facts().qemu();
        if (from.uid() < 0 || to.uid() < 0) {
            return Verdict.pass();
        }
        List<String> differences = new ArrayList<>();
        if (from.uid() != to.uid()) {
            differences.add("QEMU's UID " + to.uid() + " (" + from.uid() + " on " + p.source().name() + ")");
        }
        for (String group : new TreeSet<>(from.gids().keySet())) {
            Long there = to.gids().get(group);
            if (there != null && !there.equals(from.gids().get(group))) {
                differences.add(group + " GID " + there + " (" + from.gids().get(group) + " on " + p.source().name() + ")");
            }
        }
        return differences.isEmpty() ? Verdict.pass() : Verdict.fail("different qemu ids", p.target() + " has "
                + String.join(", ", differences) + "; the guest's files would not be QEMU's there.");
    }
}
