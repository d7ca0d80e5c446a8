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
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Every disk and attached CD-ROM or floppy image must be reachable from the target: on a pool the
 * target has too, with the same name, type and target path, and for a network pool the same export
 * (server and directory), so the target opens the same image. Otherwise a writable disk must travel
 * by copy-storage, which libvirt creates in the target's pool of the same name, type and target path.
 * Read-only media are never copied: they must be on a pool the target shares, or be ejected.
 *
 * <p>As libvirt behaves on the test bed (deploy/testbed): a writable disk on a local pool fails with
 * "Migration without shared storage is unsafe"; a file copied by copy-storage needs a pool at its
 * directory on the target ("no storage pool with matching target path"); a CD-ROM volume the target's
 * pool lacks fails ("Storage volume not found"); copy-storage of a disk on storage both hosts share
 * fails, as it would copy the image onto itself. Disks the source's pools do not account for are let
 * through with a warning: the balancer cannot tell, and libvirt refuses the move if the path is missing.
 */
public final class SharedStorage implements EligibilityRule {
    // Counted across hosts in explanations ("0/12 hosts: 7 disk on local storage, ..."): constant phrases only.
    static final String LOCAL = "disk on local storage";
    static final String NOT_SHARED = "storage not shared";
    static final String NO_POOL_FOR_COPY = "no pool for copied disks";
    static final String COPY_ONTO_SHARED = "copy-storage onto shared storage";
    static final String MEDIA = "media not on shared storage";

    @Override
    public String name() {
        return "SharedStorage";
    }

    /** One disk the move cannot take as asked, with its countable phrase and what the operator can do. */
    private record Problem(String summary, String reason) {}

    @Override
    public Verdict check(Placement p, PlacementContext context) {
        Optional<Host> target = context.host(p.target());
        if (target.isEmpty() || p.guest().descriptor().disks().isEmpty()) {
            return Verdict.pass();
        }
        String src = p.source().name();
        String dst = p.target();
        String guest = p.guest().name();
        List<StoragePool> sourcePools = p.source().facts().pools();
        List<StoragePool> targetPools = target.get().facts().pools();
        boolean copy = p.options().copyStorage() != CopyStorage.NONE;
        List<Problem> problems = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (Disk d : p.guest().descriptor().disks()) {
            if (d.source().isEmpty()) {
                continue; // an empty drive: nothing to reach
            }
            Optional<StoragePool> pool = poolOf(d, sourcePools);
            if (pool.isEmpty()) {
                if (isNetworkDisk(d)) {
                    // QEMU opens it over the network from any host.
                    if (copy && !d.readOnly()) {
                        warnings.add(d.target() + " of " + guest + " is a network disk (" + d.source() + "); copy-storage"
                                + " would copy it onto itself, so migrate without --copy-storage-all/-inc if libvirt refuses.");
                    }
                } else {
                    unknown.add(d.target());
                }
                continue;
            }
            StoragePool sp = pool.get();
            Optional<StoragePool> twin = twinOn(targetPools, sp);
            boolean shared = twin.isPresent() && isNetwork(sp) && sp.sourceHost().equals(twin.get().sourceHost())
                    && sp.sourcePath().equals(twin.get().sourcePath());
            if (d.readOnly()) {
                // libvirt neither checks nor copies read-only images: the target opens the same path.
                if (shared) {
                    continue;
                }
                if (twin.isPresent() && !isNetwork(sp)) {
                    warnings.add(medium(d) + " of " + guest + " (" + d.source() + ") is on " + src + "'s local " + sp.type()
                            + " pool " + sp.name() + "; " + dst + "'s pool " + sp.name() + " must hold the same image.");
                    continue;
                }
                problems.add(new Problem(MEDIA, medium(d) + " of " + guest + " (" + d.source() + ") is on "
                        + (isNetwork(sp) ? sp.type() + " pool " + sp.name() + ", which " + dst + " does not share"
                        : src + "'s local " + sp.type() + " pool " + sp.name() + ", which " + dst + " lacks")
                        + ", and copy-storage does not copy read-only media: " + removal(d, guest) + ", or define "
                        + poolPhrase(sp) + " holding it on " + dst + "."));
                continue;
            }
            if (shared) {
                if (copy) {
                    problems.add(new Problem(COPY_ONTO_SHARED, d.target() + " of " + guest + " is on pool " + sp.name()
                            + ", which " + dst + " shares (" + sp.sourceHost() + ":" + sp.sourcePath() + "); copy-storage"
                            + " would copy it onto itself and libvirt fails: migrate without --copy-storage-all/-inc."));
                }
                continue;
            }
            if (copy) {
                if (twin.isEmpty()) {
                    problems.add(new Problem(NO_POOL_FOR_COPY, dst + " has no active " + sp.type() + " pool named "
                            + sp.name() + targetPathPhrase(sp) + " to receive " + d.target() + " by copy-storage: define and"
                            + " start " + poolPhrase(sp) + " on " + dst + "."));
                }
                continue;
            }
            String orEject = isMedium(d) ? ", or " + removal(d, guest) : "";
            if (!isNetwork(sp)) {
                problems.add(new Problem(LOCAL, d.target() + " (" + d.source() + ") is on " + src + "'s local " + sp.type()
                        + " pool " + sp.name() + "; moving it needs copy-storage: choose --copy-storage-all or"
                        + " --copy-storage-inc" + (twin.isPresent() ? "" : ", after defining and starting " + poolPhrase(sp)
                        + " on " + dst) + orEject + "."));
            } else if (twin.isPresent()) {
                problems.add(new Problem(NOT_SHARED, dst + " does not mount " + sp.sourceHost() + ":" + sp.sourcePath()
                        + targetPathPhrase(sp) + ", where " + d.target() + " of " + guest + " lives: its pool " + sp.name()
                        + " mounts " + twin.get().sourceHost() + ":" + twin.get().sourcePath() + " instead; choose"
                        + " --copy-storage-all or --copy-storage-inc to copy the disk there" + orEject + "."));
            } else {
                problems.add(new Problem(NOT_SHARED, dst + " does not mount " + sp.sourceHost() + ":" + sp.sourcePath()
                        + targetPathPhrase(sp) + ", where " + d.target() + " of " + guest + " lives: define and start "
                        + poolPhrase(sp) + " from that export on " + dst + orEject + "."));
            }
        }
        if (!unknown.isEmpty()) {
            warnings.add(0, String.join(", ", unknown) + " of " + guest + " is in no storage pool " + src
                    + " reports; libvirt checks the path when it migrates.");
        }
        if (!problems.isEmpty()) {
            return Verdict.fail(problems.get(0).summary(), String.join(" ", problems.stream().map(Problem::reason).toList()));
        }
        return warnings.isEmpty() ? Verdict.pass() : Verdict.warn(String.join(" ", warnings));
    }

    /** The target's active pool of the same name, type and target path, which receives or already holds the disk. */
    private static Optional<StoragePool> twinOn(List<StoragePool> targetPools, StoragePool sp) {
        return targetPools.stream().filter(t -> t.active() && t.name().equals(sp.name()) && t.type().equals(sp.type())
                && t.targetPath().equals(sp.targetPath())).findFirst();
    }

    /** A pool served by another machine (NFS, GlusterFS, Ceph, iSCSI…), which several hosts can reach. */
    private static boolean isNetwork(StoragePool sp) {
        return !sp.sourceHost().isEmpty();
    }

    /** A {@code type='network'} disk ({@code nfs://…}, {@code rbd://…}), which the agent reports as a URL. */
    private static boolean isNetworkDisk(Disk d) {
        return d.pool().isEmpty() && d.source().matches("[a-z][a-z0-9+.-]*://.*");
    }

    private static boolean isMedium(Disk d) {
        return d.device().equals("cdrom") || d.device().equals("floppy");
    }

    /** Starts a sentence. */
    private static String medium(Disk d) {
        return isMedium(d) ? "The " + (d.device().equals("cdrom") ? "CD-ROM" : "floppy") + " image in " + d.target()
                : "Read-only disk " + d.target();
    }

    private static String removal(Disk d, String guest) {
        return isMedium(d) ? "eject it first (virsh change-media " + guest + " " + d.target() + " --eject)"
                : "detach it first (virsh detach-disk " + guest + " " + d.target() + ")";
    }

    private static String poolPhrase(StoragePool sp) {
        return "an active " + sp.type() + " pool named " + sp.name() + targetPathPhrase(sp);
    }

    private static String targetPathPhrase(StoragePool sp) {
        return sp.targetPath().isEmpty() ? "" : " at " + sp.targetPath();
    }

    /** The pool named by the disk, else the deepest pool whose directory holds the disk's path. */
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
                .max(Comparator.comparingInt(sp -> sp.targetPath().length()));
    }
}
