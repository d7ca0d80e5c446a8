package org.virtbalancer.balancer.core;

import org.virtbalancer.protocol.GuestState;

/**
 * One guest in a snapshot.
 *
 * @param guest       domain name
 * @param host        where it is listed
 * @param state       its libvirt state
 * @param vcpus       virtual CPUs
 * @param memoryMiB   memory it is given
 * @param cpuCores    cores it used in its host's last sample
 * @param expectedCores cores it is expected to use over the next minutes
 * @param pinned      whether an operator pinned it to its host
 * @param migrating   whether a migration of it is in flight
 */
public record GuestSnapshot(String guest, String host, GuestState state, int vcpus, long memoryMiB, double cpuCores,
                            double expectedCores, boolean pinned, boolean migrating) {}
