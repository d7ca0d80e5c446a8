package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.HostFacts;

import java.time.Duration;

/**
 * A host as the balancer knows it: its facts from the inventory and its last load sample.
 *
 * @param facts        what the host is
 * @param lastSampleAt when its last load sample arrived, or {@link #NEVER}
 * @param cpuCores     cores in use in that sample
 * @param memoryMiB    memory in use in that sample
 * @param expectedCores cores its guests are expected to use over the next minutes, with the part of the sample
 *                      no guest accounts for (the host's own use) added
 * @param netMiBps     network traffic in that sample, MiB/s
 * @param diskMiBps    disk I/O in that sample, MiB/s
 */
public record Host(HostFacts facts, long lastSampleAt, double cpuCores, long memoryMiB, double expectedCores,
                   double netMiBps, double diskMiBps) {
    /** No load sample yet. */
    public static final long NEVER = Long.MIN_VALUE;

    public static Host of(HostFacts facts) {
        return new Host(facts, NEVER, 0, 0, 0, 0, 0);
    }

    public String name() {
        return facts.host();
    }

    public boolean hasSample() {
        return lastSampleAt != NEVER;
    }

    /** A host that has been silent too long may be down: nothing is placed on it. */
    public boolean isStale(long now, Duration staleAfter) {
        return !hasSample() || now - lastSampleAt > staleAfter.toMillis();
    }

    public Host withFacts(HostFacts newFacts) {
        return new Host(newFacts, lastSampleAt, cpuCores, memoryMiB, expectedCores, netMiBps, diskMiBps);
    }

    public Host withSample(long at, double cores, long mib, double expected, double net, double disk) {
        return new Host(facts, at, cores, mib, expected, net, disk);
    }

    /** Network traffic as a share of the migration link, the one bandwidth the balancer knows. */
    public double networkLoad() {
        return netMiBps / facts.linkMiBps();
    }
}
