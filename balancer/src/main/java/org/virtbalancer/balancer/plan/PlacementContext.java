package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.protocol.MaintenanceState;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** What eligibility rules may look at: the cluster as projected after the moves decided so far. */
public interface PlacementContext {
    /** Every known host, in name order. */
    List<Host> hosts();

    Optional<Host> host(String name);

    /** Whether the host has been silent for longer than the stale limit (or never sent a sample). */
    boolean isStale(String host);

    /** Seconds since the host's last load sample, or -1 when it never sent one. */
    long secondsSinceSample(String host);

    MaintenanceState maintenance(String host);

    /** The host's load after the moves in flight and planned so far. */
    Utilisation projected(String host);

    /** Guests on the host after the moves in flight and planned so far. */
    Collection<Guest> guestsOn(String host);

    /** The guest of that name among {@link #guestsOn(String)}, if there is one. */
    default Optional<Guest> guestOn(String host, String name) {
        return guestsOn(host).stream().filter(g -> g.name().equals(name)).findFirst();
    }

    /** Why an earlier migration of this guest to this target failed, if one did recently. */
    Optional<String> earlierFailure(String guest, String target);
}
