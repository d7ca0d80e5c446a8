package org.virtbalancer.balancer.model;

/**
 * What a host carries against what it has: cores in use of its CPUs and MiB in use of its memory.
 * Normalised loads are fractions of capacity (1.0 = full); {@link #binding()} is the larger one.
 */
public record Utilisation(int cpus, long capacityMiB, double cpuCores, double memoryMiB) {
    public Utilisation {
        if (cpus <= 0 || capacityMiB <= 0) {
            throw new IllegalArgumentException("a host needs at least one CPU and some memory, got " + cpus + " CPUs and "
                    + capacityMiB + " MiB");
        }
        cpuCores = Math.max(0, cpuCores);
        memoryMiB = Math.max(0, memoryMiB);
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

    public Utilisation plus(double cores, double mib) {
        return new Utilisation(cpus, capacityMiB, cpuCores + cores, memoryMiB + mib);
    }

    public Utilisation minus(double cores, double mib) {
        return new Utilisation(cpus, capacityMiB, cpuCores - cores, memoryMiB - mib);
    }
}
