package org.virtbalancer.agent.sim;

import org.virtbalancer.protocol.Check;

import java.util.HashMap;
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
 */
public record HostSpec(String id, String arch, int cpus, long memoryMiB, double linkMiBps, String libvirtVersion,
                       String qemuVersion, String subnet, Map<String, String> labels) {
    public HostSpec {
        Check.name("id", id);
        Check.name("arch", arch);
        if (cpus < 1 || memoryMiB < 1 || !(linkMiBps > 0)) {
            throw new IllegalArgumentException("host " + id + " needs at least 1 CPU, 1 MiB of memory and a link faster than 0 MiB/s");
        }
        labels = Map.copyOf(labels);
    }

    /** 16 CPUs, 64 GiB, a 10 Gbit/s link (1250 MiB/s), libvirt 9.0.0, QEMU 7.2.0, 10.0.0.0/24. */
    public static HostSpec of(String id) {
        return new HostSpec(id, "x86_64", 16, 65536, 1250, "9.0.0", "7.2.0", "10.0.0.0/24", Map.of());
    }

    public HostSpec withArch(String value) {
        return new HostSpec(id, value, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels);
    }

    public HostSpec withCpus(int value) {
        return new HostSpec(id, arch, value, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, labels);
    }

    public HostSpec withMemoryMiB(long value) {
        return new HostSpec(id, arch, cpus, value, linkMiBps, libvirtVersion, qemuVersion, subnet, labels);
    }

    public HostSpec withLinkMiBps(double value) {
        return new HostSpec(id, arch, cpus, memoryMiB, value, libvirtVersion, qemuVersion, subnet, labels);
    }

    public HostSpec withVersions(String libvirt, String qemu) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirt, qemu, subnet, labels);
    }

    public HostSpec withSubnet(String value) {
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, value, labels);
    }

    public HostSpec withLabel(String key, String value) {
        Map<String, String> l = new HashMap<>(labels);
        l.put(key, value);
        return new HostSpec(id, arch, cpus, memoryMiB, linkMiBps, libvirtVersion, qemuVersion, subnet, l);
    }
}
