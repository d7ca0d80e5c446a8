package org.virtbalancer.balancer.core;

import org.virtbalancer.protocol.MaintenanceState;

/**
 * One host in a snapshot; loads are normalised by capacity (0..1, above 1 when overcommitted).
 *
 * @param host          host id
 * @param cpus          logical CPUs
 * @param memoryMiB     memory for guests
 * @param cpuLoad       CPU in use / CPUs
 * @param memoryLoad    memory in use (allocated to active guests, or reported if larger) / memory
 * @param networkLoad   network traffic / the host's migration link bandwidth
 * @param netMiBps      network traffic in the last sample, MiB/s
 * @param diskMiBps     disk I/O in the last sample, MiB/s
 * @param expectedCpu   CPU its guests are expected to use over the next minutes / CPUs
 * @param overloaded    whether the overload detector holds it overloaded
 * @param maintenance   maintenance state
 * @param guests        guests listed on it
 * @param runningGuests of which running
 * @param stale         whether its last load sample is too old
 */
public record HostSnapshot(String host, int cpus, long memoryMiB, double cpuLoad, double memoryLoad, double networkLoad,
                           double netMiBps, double diskMiBps, double expectedCpu, boolean overloaded,
                           MaintenanceState maintenance, int guests, int runningGuests, boolean stale) {}
