package org.virtbalancer.agent.libvirt;

import org.libvirt.LibvirtException;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.StoragePool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where a guest's disks, CD-ROMs and floppies live, in the host's storage pools: what the storage rule
 * compares with the target's pools. A {@code type='volume'} disk names only its pool and volume (also in
 * a running guest's XML), so its real path comes from the pool; a file's pool is the one whose target
 * directory holds it.
 */
final class DiskLocations {
    /** Pool types whose volumes are files named after the volume in the pool's target directory. */
    private static final Set<String> DIRECTORY_POOLS = Set.of("dir", "fs", "netfs");

    /** Looks a volume's path up in a pool; empty when the pool or the volume is not there. */
    @FunctionalInterface
    interface VolumePaths {
        Optional<String> path(String pool, String volume) throws LibvirtException;
    }

    private DiskLocations() {}

    /**
     * The disks with their pools and real paths: a volume disk's source (from {@link DomainXml}, the
     * volume's name) becomes the volume's path, or, where libvirt does not know the volume (its pool is
     * inactive), the file a directory-like pool would hold; a file, block device or directory gets the
     * pool with the longest target path that holds it. Network disks and empty drives stay as they are.
     */
    static List<Disk> locate(List<Disk> disks, List<StoragePool> pools, VolumePaths volumes) throws LibvirtException {
        List<Disk> out = new ArrayList<>(disks.size());
        for (Disk d : disks) {
            if (d.source().isEmpty()) {
                out.add(d);
            } else if (!d.pool().isEmpty()) {
                out.add(withSource(d, volumePath(d, pools, volumes)));
            } else if (d.source().startsWith("/")) {
                out.add(poolHolding(d.source(), pools).map(p -> withPool(d, p.name())).orElse(d));
            } else {
                out.add(d);
            }
        }
        return out;
    }

    private static String volumePath(Disk d, List<StoragePool> pools, VolumePaths volumes) throws LibvirtException {
        Optional<String> path = volumes.path(d.pool(), d.source());
        if (path.isPresent() && !path.get().isBlank()) {
            return path.get();
        }
        return pools.stream()
                .filter(p -> p.name().equals(d.pool()) && DIRECTORY_POOLS.contains(p.type()) && !p.targetPath().isEmpty())
                .findFirst()
                .map(p -> join(p.targetPath(), d.source()))
                .orElse(d.source());
    }

    /** The pool whose target directory holds the path, the deepest one where pools nest. */
    static Optional<StoragePool> poolHolding(String path, List<StoragePool> pools) {
        return pools.stream()
                .filter(p -> !p.targetPath().isEmpty() && path.startsWith(p.targetPath().endsWith("/") ? p.targetPath()
                        : p.targetPath() + "/"))
                .max(Comparator.comparingInt(p -> p.targetPath().length()));
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    private static Disk withSource(Disk d, String source) {
        return new Disk(d.target(), d.device(), d.bus(), d.cache(), source, d.pool(), d.readOnly());
    }

    private static Disk withPool(Disk d, String pool) {
        return new Disk(d.target(), d.device(), d.bus(), d.cache(), d.source(), pool, d.readOnly());
    }
}
