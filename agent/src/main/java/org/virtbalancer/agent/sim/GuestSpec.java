package org.virtbalancer.agent.sim;

import org.virtbalancer.protocol.Check;
import org.virtbalancer.protocol.Disk;
import org.virtbalancer.protocol.GuestState;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A simulated guest. {@link #of(String)} gives a small running persistent guest on shared storage;
 * the {@code with…} methods change one attribute.
 *
 * @param name           domain name
 * @param vcpus          virtual CPUs
 * @param memoryMiB      memory
 * @param state          RUNNING, PAUSED or SHUTOFF
 * @param persistent     has a definition that survives shutdown
 * @param dirtyRateMiBps page-dirty rate while running
 * @param cpu            where its CPU load comes from
 * @param netMiBps       network throughput while running
 * @param diskMiBps      disk throughput while running
 * @param disks          disks as the domain XML would list them
 * @param labels         operator metadata (pinned, affinity group, …)
 */
public record GuestSpec(String name, int vcpus, long memoryMiB, GuestState state, boolean persistent, double dirtyRateMiBps,
                        CpuSource cpu, double netMiBps, double diskMiBps, List<Disk> disks, Map<String, String> labels) {
    public GuestSpec {
        Check.name("name", name);
        if (vcpus < 1 || memoryMiB < 1) {
            throw new IllegalArgumentException("guest " + name + " needs at least 1 vCPU and 1 MiB of memory");
        }
        if (state != GuestState.RUNNING && state != GuestState.PAUSED && state != GuestState.SHUTOFF) {
            throw new IllegalArgumentException("guest " + name + " can start RUNNING, PAUSED or SHUTOFF, not " + state);
        }
        if (state == GuestState.SHUTOFF && !persistent) {
            throw new IllegalArgumentException("guest " + name + " cannot be shut off and transient: libvirt forgets a transient"
                    + " guest when it stops; make it persistent or running");
        }
        Check.nonNegative("dirtyRateMiBps", dirtyRateMiBps);
        Check.nonNegative("netMiBps", netMiBps);
        Check.nonNegative("diskMiBps", diskMiBps);
        if (cpu == null) {
            throw new IllegalArgumentException("guest " + name + " needs a CPU source: a constant or a PlanetLab trace");
        }
        disks = List.copyOf(disks);
        labels = Map.copyOf(labels);
    }

    /** 2 vCPUs, 2 GiB, running, persistent, 20 MiB/s dirty rate, 0.5 cores, one virtio disk (cache none) on pool "shared". */
    public static GuestSpec of(String name) {
        return new GuestSpec(name, 2, 2048, GuestState.RUNNING, true, 20, CpuSource.constant(0.5), 1, 1,
                List.of(new Disk("vda", "disk", "virtio", "none", "/var/lib/libvirt/images/shared/" + name + ".qcow2",
                        "shared", false)), Map.of());
    }

    public GuestSpec withVcpus(int value) {
        return new GuestSpec(name, value, memoryMiB, state, persistent, dirtyRateMiBps, cpu, netMiBps, diskMiBps, disks, labels);
    }

    public GuestSpec withMemoryMiB(long value) {
        return new GuestSpec(name, vcpus, value, state, persistent, dirtyRateMiBps, cpu, netMiBps, diskMiBps, disks, labels);
    }

    public GuestSpec withState(GuestState value) {
        return new GuestSpec(name, vcpus, memoryMiB, value, persistent, dirtyRateMiBps, cpu, netMiBps, diskMiBps, disks, labels);
    }

    public GuestSpec withPersistent(boolean value) {
        return new GuestSpec(name, vcpus, memoryMiB, state, value, dirtyRateMiBps, cpu, netMiBps, diskMiBps, disks, labels);
    }

    public GuestSpec withDirtyRateMiBps(double value) {
        return new GuestSpec(name, vcpus, memoryMiB, state, persistent, value, cpu, netMiBps, diskMiBps, disks, labels);
    }

    public GuestSpec withCpu(CpuSource value) {
        return new GuestSpec(name, vcpus, memoryMiB, state, persistent, dirtyRateMiBps, value, netMiBps, diskMiBps, disks, labels);
    }

    /** CPU from a PlanetLab trace, starting {@code offset} samples in. */
    public GuestSpec withTrace(String traceName, int offset) {
        return withCpu(CpuSource.trace(traceName, offset));
    }

    /** A constant number of busy cores. */
    public GuestSpec withConstantCpu(double cores) {
        return withCpu(CpuSource.constant(cores));
    }

    public GuestSpec withIo(double net, double disk) {
        return new GuestSpec(name, vcpus, memoryMiB, state, persistent, dirtyRateMiBps, cpu, net, disk, disks, labels);
    }

    public GuestSpec withDisks(List<Disk> value) {
        return new GuestSpec(name, vcpus, memoryMiB, state, persistent, dirtyRateMiBps, cpu, netMiBps, diskMiBps, value, labels);
    }

    public GuestSpec withLabel(String key, String value) {
        Map<String, String> l = new HashMap<>(labels);
        l.put(key, value);
        return new GuestSpec(name, vcpus, memoryMiB, state, persistent, dirtyRateMiBps, cpu, netMiBps, diskMiBps, disks, l);
    }
}
