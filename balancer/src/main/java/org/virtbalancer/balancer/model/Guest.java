package org.virtbalancer.balancer.model;

import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.GuestState;

import java.util.Optional;

/**
 * A guest on a host, with what it uses.
 *
 * @param descriptor its domain facts from the inventory
 * @param host       the host it is on
 * @param usage      its measured CPU and dirty rate
 */
public record Guest(GuestDescriptor descriptor, String host, GuestUsage usage) {
    public static final String PINNED_LABEL = "vb.pinned";
    public static final String ANTI_AFFINITY_LABEL = "vb.anti-affinity";
    /** Guests with the same value should run on one host. */
    public static final String AFFINITY_LABEL = "vb.affinity";
    /** The guest may only run on hosts whose {@code vb.host-group} label lists this value. */
    public static final String HOST_GROUP_LABEL = "vb.host-group";

    public String name() {
        return descriptor.name();
    }

    public GuestState state() {
        return descriptor.state();
    }

    public boolean isActive() {
        return descriptor.state().isActive();
    }

    /** CPU the guest takes with it when it moves; a shut-off guest takes none. */
    public double cpuCores() {
        return isActive() ? usage.estimatedCores() : 0;
    }

    /** CPU the guest is expected to take with it over the next minutes (see {@link GuestUsage}). */
    public double expectedCores() {
        return isActive() ? usage.expectedCores() : 0;
    }

    /** Memory the guest holds on its host; a shut-off guest holds none. */
    public long activeMemoryMiB() {
        return isActive() ? descriptor.memoryMiB() : 0;
    }

    public boolean isPinned() {
        return "true".equalsIgnoreCase(descriptor.labels().getOrDefault(PINNED_LABEL, ""));
    }

    public Optional<String> antiAffinityGroup() {
        return Optional.ofNullable(descriptor.labels().get(ANTI_AFFINITY_LABEL)).filter(g -> !g.isBlank());
    }

    public Optional<String> affinityGroup() {
        return Optional.ofNullable(descriptor.labels().get(AFFINITY_LABEL)).filter(g -> !g.isBlank());
    }

    public Optional<String> hostGroup() {
        return Optional.ofNullable(descriptor.labels().get(HOST_GROUP_LABEL)).filter(g -> !g.isBlank());
    }

    public Guest on(String newHost) {
        return new Guest(descriptor, newHost, usage);
    }

    public Guest withDescriptor(GuestDescriptor newDescriptor) {
        return new Guest(newDescriptor, host, usage);
    }
}
