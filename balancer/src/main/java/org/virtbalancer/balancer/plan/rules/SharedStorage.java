package org.virtbalancer.balancer.plan.rules;

import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.plan.EligibilityRule;
import org.virtbalancer.balancer.plan.Placement;
import org.virtbalancer.balancer.plan.PlacementContext;
import org.virtbalancer.balancer.plan.Verdict;
import org.virtbalancer.protocol.CopyStorage;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.StoragePool;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every disk of the guest must be reachable from the target at the same path: on a pool the target
 * also has, backed by the same export (same server and directory) and mounted at the same place.
 * With copy-storage the disks travel, and the target needs an active pool of the same name and type
 * to receive them. Disks the source's pools do not account for are let through with a warning:
 * the balancer cannot tell, and libvirt will refuse the move if the path is missing.
 */
public final class SharedStorage implements EligibilityRule {
    @Override
    public String name() {
        return "SharedStorage";
    }

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        Optional<Host> target = context.host(p.target());
        if (target.isEmpty() || p.guest().descriptor().disks().isEmpty()) {
            return Verdict.pass();
        }
        List<StoragePool> sourcePools = p.source().facts().pools();
        List<StoragePool> targetPools = target.get().facts().pools();
        boolean copy = p.options().copyStorage() != CopyStorage.NONE;
        List<String> unknown = new ArrayList<>();
        for (Disk d : p.guest().descriptor().disks()) {
            if (d.source().isEmpty()) {
                continue;
            }
            Optional<StoragePool> pool = poolOf(d, sourcePools);
            if (pool.isEmpty()) {
                unknown.add(d.target());
                continue;
            }
            StoragePool sp = pool.get();
            if (copy) {
                if (targetPools.stream().noneMatch(t -> t.active() && t.name().equals(sp.name())
                        && t.type().equals(sp.type()))) {
                    return Verdict.fail("no pool for copied disks", p.target() + " has no active " + sp.type()
                            + " pool named " + sp.name() + " to receive " + d.target() + " by copy-storage.");
                }
                continue;
            }
            if (sp.sourceHost().isEmpty()) {
                return Verdict.fail("disk on local storage", d.target() + " (" + d.source() + ") is on " + p.source().name()
                        + "'s local " + sp.type() + " pool " + sp.name() + "; moving it needs copy-storage.");
            }
            boolean reached = targetPools.stream().anyMatch(t -> t.active() && t.sourceHost().equals(sp.sourceHost())
                    && t.sourcePath().equals(sp.sourcePath()) && t.targetPath().equals(sp.targetPath()));
            if (!reached) {
                return Verdict.fail("storage not shared", p.target() + " does not mount " + sp.sourceHost() + ":"
                        + sp.sourcePath() + " at " + sp.targetPath() + ", where " + d.target() + " of "
                        + p.guest().name() + " lives.");
            }
        }
        return unknown.isEmpty() ? Verdict.pass() : Verdict.warn(String.join(", ", unknown) + " of " + p.guest().name()
                + " is in no storage pool " + p.source().name() + " reports; libvirt checks the path when it migrates.");
    }

    /** The pool named by the disk, else the pool whose directory holds the disk's path. */
    private static Optional<StoragePool> poolOf(Disk d, List<StoragePool> pools) {
        if (!d.pool().isEmpty()) {
            Optional<StoragePool> named = pools.stream().filter(sp -> sp.name().equals(d.pool())).findFirst();
            if (named.isPresent()) {
                return named;
            }
        }
        return pools.stream()
                .filter(sp -> !sp.targetPath().isEmpty() && d.source().startsWith(sp.targetPath().endsWith("/")
                        ? sp.targetPath() : sp.targetPath() + "/"))
                .findFirst();
    }
}
