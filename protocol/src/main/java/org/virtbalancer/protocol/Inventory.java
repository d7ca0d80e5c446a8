package org.virtbalancer.protocol;

import java.util.List;

/**
 * A host's full inventory, published on change and periodically to the compacted
 * {@code inventory} topic keyed by host id. {@code maintenanceHint} is not here on purpose:
 * maintenance state belongs to the balancer.
 *
 * @param facts  the host
 * @param guests every guest defined or running on it
 */
public record Inventory(HostFacts facts, List<GuestDescriptor> guests) implements Message {
    public Inventory {
        Check.present("facts", facts);
        guests = Check.list("guests", guests);
        long distinct = guests.stream().map(GuestDescriptor::name).distinct().count();
        if (distinct != guests.size()) {
            throw new InvalidMessageException("guests", "lists the same guest name more than once");
        }
    }
}
