package org.virtbalancer.balancer.plan;

import org.virtbalancer.balancer.execute.Migrations;
import org.virtbalancer.balancer.model.Cluster;
import org.virtbalancer.balancer.model.Guest;
import org.virtbalancer.balancer.model.Host;
import org.virtbalancer.balancer.model.Projection;
import org.virtbalancer.balancer.model.Utilisation;
import org.virtbalancer.protocol.MaintenanceState;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The cluster as one planning round sees it: hosts as reported, loads and guests as projected. */
public final class PlanningView implements PlacementContext {
    private final Cluster cluster;
    private final Projection projection;
    private final Map<String, MaintenanceState> maintenance;
    private final Duration staleAfter;
    private final Migrations migrations;
    private final long now;

    public PlanningView(Cluster cluster, Projection projection, Map<String, MaintenanceState> maintenance,
                        Duration staleAfter, Migrations migrations, long now) {
        this.cluster = cluster;
        this.projection = projection;
        this.maintenance = Map.copyOf(maintenance);
        this.staleAfter = staleAfter;
        this.migrations = migrations;
        this.now = now;
    }

    public Projection projection() {
        return projection;
    }

    public long now() {
        return now;
    }

    /** Hosts whose load counts for imbalance: reporting and in service. */
    public boolean countsForBalance(String host) {
        return !isStale(host) && maintenance(host) == MaintenanceState.ACTIVE;
    }

    /** Standard deviation of the normalised CPU load of the hosts that count. */
    public double imbalance() {
        return projection.imbalance(this::countsForBalance);
    }

    /** Standard deviation of the expected normalised CPU load of the hosts that count. */
    public double expectedImbalance() {
        return projection.expectedImbalance(this::countsForBalance);
    }

    /** Mean normalised CPU load of the hosts that count. */
    public double meanCpu() {
        return projection.meanCpu(this::countsForBalance);
    }

    @Override
    public List<Host> hosts() {
        return cluster.hosts();
    }

    @Override
    public Optional<Host> host(String name) {
        return cluster.host(name);
    }

    @Override
    public boolean isStale(String host) {
        return cluster.host(host).map(h -> h.isStale(now, staleAfter)).orElse(true);
    }

    @Override
    public long secondsSinceSample(String host) {
        return cluster.host(host).filter(Host::hasSample).map(h -> (now - h.lastSampleAt()) / 1000).orElse(-1L);
    }

    @Override
    public MaintenanceState maintenance(String host) {
        return maintenance.getOrDefault(host, MaintenanceState.ACTIVE);
    }

    @Override
    public Utilisation projected(String host) {
        return projection.utilisation(host);
    }

    @Override
    public Collection<Guest> guestsOn(String host) {
        return projection.guestsOn(host);
    }

    @Override
    public Optional<Guest> guestOn(String host, String name) {
        return projection.guest(host, name);
    }

    @Override
    public Optional<String> earlierFailure(String guest, String target) {
        return migrations.failureOn(guest, target, now);
    }
}
