package org.virtbalancer.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a host is: the facts eligibility rules compare between source and target.
 *
 * @param host              host id, as used in topic keys and command topic names
 * @param arch              CPU architecture, e.g. {@code x86_64}
 * @param cpuModel          host CPU model name
 * @param cpus              logical CPUs available to guests
 * @param memoryMiB         memory available to guests
 * @param linkMiBps         migration link bandwidth, MiB/s
 * @param hypervisor        driver name, e.g. {@code QEMU} or {@code simulated}
 * @param libvirtVersion    e.g. {@code 9.0.0}
 * @param qemuVersion       e.g. {@code 7.2.0}
 * @param subnet            migration network in CIDR notation
 * @param migrationAddress  address peers use for migration traffic
 * @param libvirtUri        URI peers use to reach this host's libvirt
 * @param labels            operator labels (host group, rack, …)
 * @param pools             the host's libvirt storage pools, active and inactive; empty when unknown
 *                          (older agents send none)
 * @param qemu              the user and groups QEMU runs as; {@link QemuIdentity#UNKNOWN} when not readable
 *                          (remote libvirt, older agents)
 */
public record HostFacts(String host, String arch, String cpuModel, int cpus, long memoryMiB, double linkMiBps,
                        String hypervisor, String libvirtVersion, String qemuVersion, String subnet,
                        String migrationAddress, String libvirtUri, Map<String, String> labels,
                        List<StoragePool> pools, QemuIdentity qemu) {
    public HostFacts {
        Check.name("host", host);
        Check.name("arch", arch);
        cpuModel = Check.optionalText("cpuModel", cpuModel);
        Check.range("cpus", cpus, 1, 100_000);
        Check.range("memoryMiB", memoryMiB, 1, Check.MAX_MEMORY_MIB);
        Check.positive("linkMiBps", linkMiBps);
        Check.nonNegative("linkMiBps", linkMiBps, Check.MAX_FIGURE);
        hypervisor = Check.optionalText("hypervisor", hypervisor);
        libvirtVersion = Check.optionalText("libvirtVersion", libvirtVersion);
        qemuVersion = Check.optionalText("qemuVersion", qemuVersion);
        subnet = Check.optionalText("subnet", subnet);
        migrationAddress = Check.optionalText("migrationAddress", migrationAddress);
        libvirtUri = Check.optionalText("libvirtUri", libvirtUri);
        labels = Check.labels("labels", labels);
        pools = Check.list("pools", pools);
        // libvirt pool names are unique per host; the storage rule looks pools up by name.
        Set<String> seen = new HashSet<>();
        for (StoragePool p : pools) {
            if (!seen.add(p.name())) {
                throw new InvalidMessageException("pools", "lists pool '" + p.name() + "' twice; send each pool once");
            }
        }
        qemu = qemu == null ? QemuIdentity.UNKNOWN : qemu;
    }
}
