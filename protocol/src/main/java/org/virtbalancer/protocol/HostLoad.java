package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * A host's load sample, published every interval to the {@code host-load} topic.
 *
 * @param host       host id
 * @param intervalMs length of the interval the sample covers
 * @param cpuCores   CPU used on the host, in cores
 * @param memoryMiB  memory in use on the host
 * @param netMiBps   network throughput
 * @param diskMiBps  disk throughput
 * @param guests     per-guest load of the running guests
 */
public record HostLoad(String host, long intervalMs, @JsonProperty(required = true) double cpuCores, @JsonProperty(required = true) long memoryMiB,
                       @JsonProperty(required = true) double netMiBps, @JsonProperty(required = true) double diskMiBps,
                       List<GuestLoad> guests) implements Message {
    public HostLoad {
        Check.name("host", host);
        Check.positive("intervalMs", intervalMs);
        Check.nonNegative("cpuCores", cpuCores, Check.MAX_FIGURE);
        Check.nonNegative("memoryMiB", memoryMiB, Check.MAX_MEMORY_MIB);
        Check.nonNegative("netMiBps", netMiBps, Check.MAX_FIGURE);
        Check.nonNegative("diskMiBps", diskMiBps, Check.MAX_FIGURE);
        guests = Check.list("guests", guests);
    }
}
