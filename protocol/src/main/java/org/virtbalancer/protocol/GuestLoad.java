package org.virtbalancer.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One guest's load over the last interval.
 *
 * @param guest           domain name
 * @param cpuCores        CPU used, in cores (1.0 = one core busy)
 * @param memoryMiB       memory in use
 * @param dirtyRateMiBps  page-dirty rate, MiB/s (drives live-migration convergence)
 * @param netMiBps        network throughput
 * @param diskMiBps       disk throughput
 */
public record GuestLoad(String guest, @JsonProperty(required = true) double cpuCores, @JsonProperty(required = true) long memoryMiB, @JsonProperty(required = true) double dirtyRateMiBps,
                        @JsonProperty(required = true) double netMiBps, @JsonProperty(required = true) double diskMiBps) {
    public GuestLoad {
        Check.name("guest", guest);
        Check.nonNegative("cpuCores", cpuCores, Check.MAX_FIGURE);
        Check.nonNegative("memoryMiB", memoryMiB, Check.MAX_MEMORY_MIB);
        Check.nonNegative("dirtyRateMiBps", dirtyRateMiBps, Check.MAX_FIGURE);
        Check.nonNegative("netMiBps", netMiBps, Check.MAX_FIGURE);
        Check.nonNegative("diskMiBps", diskMiBps, Check.MAX_FIGURE);
    }
}
