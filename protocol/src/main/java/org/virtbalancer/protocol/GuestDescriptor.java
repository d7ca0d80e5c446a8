package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * A guest (libvirt domain) with the facts eligibility rules need.
 *
 * @param name                  domain name, unique per host
 * @param uuid                  domain UUID
 * @param state                 lifecycle state
 * @param persistent            whether a definition survives shutdown
 * @param vcpus                 virtual CPUs
 * @param memoryMiB             configured memory
 * @param cpuMode               {@code custom}, {@code host-model} or {@code host-passthrough}
 * @param disks                 disks, CD-ROMs and floppies
 * @param hostDevices           PCI / SR-IOV devices passed through (addresses)
 * @param filesystemPassthrough whether a host directory is passed through
 * @param labels                operator metadata (pinned, affinity group, …)
 */
public record GuestDescriptor(String name, String uuid, GuestState state, @JsonProperty(required = true) boolean persistent, int vcpus, long memoryMiB,
                              String cpuMode, List<Disk> disks, List<String> hostDevices, boolean filesystemPassthrough,
                              Map<String, String> labels) {
    public GuestDescriptor {
        Check.name("name", name);
        uuid = Check.optionalText("uuid", uuid);
        Check.present("state", state);
        Check.range("vcpus", vcpus, 1, 4096);
        Check.range("memoryMiB", memoryMiB, 1, Check.MAX_MEMORY_MIB);
        cpuMode = Check.optionalText("cpuMode", cpuMode);
        disks = Check.list("disks", disks);
        hostDevices = Check.list("hostDevices", hostDevices);
        labels = Check.labels("labels", labels);
    }

    public GuestDescriptor withState(GuestState newState) {
        return new GuestDescriptor(name, uuid, newState, persistent, vcpus, memoryMiB, cpuMode, disks, hostDevices,
                filesystemPassthrough, labels);
    }

    public GuestDescriptor withPersistent(boolean newPersistent) {
        return new GuestDescriptor(name, uuid, state, newPersistent, vcpus, memoryMiB, cpuMode, disks, hostDevices,
                filesystemPassthrough, labels);
    }
}
