package org.virtbalancer.balancer.model;

/**
 * What a host carries against what it has: cores in use of its CPUs and MiB in use of its memory,
 * and the cores its guests are expected to use over the next minutes (see {@link GuestUsage}).
 * Normalised loads are fractions of capacity (1.0 = full); {@link #binding()} is the larger one.
 */
public record Utilisation(int cpus, long capacityMiB, double cpuCores, double memoryMiB, double expectedCores) {
    /** A host whose expected CPU is what it uses now. */
    public Utilisation(int cpus, long capacityMiB, double cpuCores, double memoryMiB) {
        this(cpus, capacityMiB, cpuCores, memoryMiB, cpuCores);
    }

    public Utilisation {
        if (cpus <= 0 || capacityMiB <= 0) {
            throw new IllegalArgumentException("a host needs at least one CPU and some memory, got " + cpus + " CPUs and "
                    + capacityMiB + " MiB");
        }
        cpuCores = Math.max(0, cpuCores);
        memoryMiB = Math.max(0, memoryMiB);
        expectedCores = Math.max(0, expectedCores);
    }

    public double cpu() {
        return cpuCores / cpus;
    }

    public double memory() {
        return memoryMiB / capacityMiB;
    }

    /** The resource closest to its limit decides how loaded a host is. */
    public double binding() {
        return Math.max(cpu(), memory());
    }

    /** Expected normalised CPU load over the next minutes. */
    public double expectedCpu() {
        return expectedCores / cpus;
    }

    /** The load with the guest added: its CPU now, its expected CPU and its memory. */
    public Utilisation plus(Guest g) {
        return new Utilisation(cpus, capacityMiB, cpuCores + g.cpuCores(), memoryMiB + g.activeMemoryMiB(),
                expectedCores + g.expectedCores());
    }

    /** The load without the guest. */
    public Utilisation minus(Guest g) {
        return new Utilisation(cpus, capacityMiB, cpuCores - g.cpuCores(), memoryMiB - g.activeMemoryMiB(),
                expectedCores - g.expectedCores());
    }
}
