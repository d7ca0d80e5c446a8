package org.virtbalancer.protocol;

/**
 * One libvirt storage pool of a host ({@code virsh pool-dumpxml}): what the storage eligibility rule
 * compares to tell whether a guest's disks are reachable at the same path on the target, or whether
 * copy-storage finds a same-named, same-type pool there.
 *
 * @param name       pool name, e.g. {@code default}
 * @param type       pool type, e.g. {@code dir}, {@code netfs}, {@code logical}, {@code iscsi}
 * @param targetPath where the pool's volumes appear on the host, e.g. {@code /var/lib/libvirt/images};
 *                   empty when the pool has none (e.g. {@code rbd})
 * @param sourceHost host serving the pool ({@code <source><host name>}), e.g. an NFS server; empty for local pools
 * @param sourcePath exported directory or device backing the pool ({@code <source><dir path>} or
 *                   {@code <device path>}), else the source's name (an RBD pool's Ceph pool; a native
 *                   GlusterFS pool's volume, followed by its directory); empty when the pool names none
 * @param active     whether the pool is started, i.e. its volumes are reachable now
 */
public record StoragePool(String name, String type, String targetPath, String sourceHost, String sourcePath, boolean active) {
    public StoragePool {
        Check.name("name", name);
        Check.name("type", type);
        targetPath = Check.optionalText("targetPath", targetPath);
        sourceHost = Check.optionalText("sourceHost", sourceHost);
        sourcePath = Check.optionalText("sourcePath", sourcePath);
    }
}
