package org.virtbalancer.protocol;

import java.util.Map;

/**
 * Who QEMU runs as on a host. Disk images on shared storage are owned by these ids, so a guest
 * migrated between hosts whose ids differ may lose access to its disks.
 *
 * @param uid  UID of the user QEMU runs as; {@code -1} when unknown (e.g. the agent reaches libvirt remotely)
 * @param gids GIDs by group name: {@code kvm}, {@code qemu} and {@code libvirt}, plus the group QEMU runs
 *             as (e.g. {@code libvirt-qemu}), each only when it exists on the host; empty when unknown
 */
public record QemuIdentity(long uid, Map<String, Long> gids) {
    /** Nothing known: what a host reports when it cannot read the ids. */
    public static final QemuIdentity UNKNOWN = new QemuIdentity(-1, Map.of());
    private static final int MAX_GROUPS = 64;

    public QemuIdentity {
        Check.range("uid", uid, -1, 0xFFFF_FFFEL);
        if (gids == null) {
            gids = Map.of();
        }
        if (gids.size() > MAX_GROUPS) {
            throw new InvalidMessageException("gids", "has " + gids.size() + " entries; at most " + MAX_GROUPS + " are allowed");
        }
        gids.forEach((group, gid) -> {
            Check.name("gids key", group);
            Check.present("gids." + group, gid);
            // -1 is "unknown" for the uid only; a group that cannot be resolved is left out instead.
            Check.range("gids." + group, gid, 0, 0xFFFF_FFFEL);
        });
        gids = Map.copyOf(gids);
    }
}
