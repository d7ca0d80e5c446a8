package org.virtbalancer.agent.sim;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.StoragePool;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A simulated host. {@link #of(String)} gives a typical x86_64 host; the {@code with…} methods change one fact.
 *
 * @param id             host id
 * @param arch           CPU architecture
 * @param cpus           logical CPUs
 * @param memoryMiB      memory for guests
 * @param linkMiBps      migration link bandwidth
 * @param libvirtVersion reported libvirt version
 * @param qemuVersion    reported QEMU version
 * @param subnet         migration network (CIDR)
 * @param labels         operator labels
 * @param pools          storage pools the host reports
 * @param qemu           the user and groups QEMU runs as
 */
public record HostSpec(String id, String arch, int cpus, long memoryMiB, double linkMiBps, String libvirtVersion,
                       String qemuVersion, String subnet, Map<String, String> labels, List<StoragePool> pools,
                       QemuIdentity qemu) {
    /** The NFS export every simulated host mounts; {@link GuestSpec#of}'s disk lives in it. */
    public static final StoragePool SHARED_POOL = new StoragePool("shared", "netfs", "/var/lib/libvirt/images/shared",
            "storage.sim", "/export/images", true);
    /** Debian's libvirt-qemu user and the kvm and libvirt groups, the same on every simulated host. */
    public static final QemuIdentity DEBIAN_QEMU = new QemuIdentity(64055, Map.of("kvm", 994L, "libvirt", 995L));

    public HostSpec {
        Check.name("id", id);
        Check.name("arch", arch);
        if (cpus < 1 || memoryMiB < 1 || !(linkMiBps > 0)) {
            throw new IllegalArgumentException("host " + id + " needs at least 1 CPU, 1 MiB of memory and a link faster than 0 MiB/s");
        }
        labels = Map.copyOf(labels);
        pools = List.copyOf(pools);
        if (qemu == null) {
            throw new IllegalArgumentException("host " + id + " needs a QEMU identity: use QemuIdentity.UNKNOWN when it should have none");
        }
    }

    /**
     * 16 CPUs, 64 GiB, a 10 Gbit/s link (1250 MiB/s), libvirt 9.0.0, QEMU 7.2.0, 10.0.0.0/24, the
     * {@link #SHARED_POOL} and {@link #DEBIAN_QEMU}.
     */
    public static HostSpec of(String id) {
        return new HostSpec(id, "x86_64", 16, 65536, 1250, "9.0.0", "7.2.0", "10.0.0.0/24", Map.of(), List.of(SHARED_POOL),
                DEBIAN_QEMU);
    }

    public HostSpec withArch(String value) {
        return new HostSpec(id, value, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels, pools, qemu);
    }

    public HostSpec withCpus(int value) {
        return new HostSpec(id, arch, value, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels, pools, qemu);
    }

    public HostSpec withMemoryMiB(long value) {
        return new HostSpec(id, arch, cpus, value, linkMiBps, libvirtVersion, qemuVersion, subnet, labels, pools, qemu);
    }

    public HostSpec withLinkMiBps(double value) {
        return new HostSpec(id, arch, cpus, memoryMiB, value, libvirtVersion, qemuVersion, subnet, labels, pools, qemu);
    }

    public HostSpec withVersions(String libvirt, String qemu) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirt, qemu, subnet, labels, pools, this.qemu);
    }

    public HostSpec withSubnet(String value) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, value, labels, pools, qemu);
    }

    public HostSpec withLabel(String key, String value) {
        Map<String, String> l = new HashMap<>(labels);
        l.put(key, value);
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, l, pools, qemu);
    }

    public HostSpec withPools(List<StoragePool> value) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels, value, qemu);
    }

    public HostSpec withQemu(QemuIdentity value) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels, pools, value);
    }
}
