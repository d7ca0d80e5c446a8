package org.virtbalancer.balancer.core;

import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.PlanDecision;

import java.util.List;
import java.util.Optional;

/**
 * An immutable view of the balancer's state for terminals, the CLI and the dashboard; safe to
 * hand to another thread.
 *
 * @param takenAt          clock time it was taken
 * @param automation       automation level in force
 * @param hosts            every known host, in name order
 * @param inFlight         migrations issued and not finished, in issue order
 * @param migrationsIssued counters since start
 * @param migrationsSucceeded …
 * @param migrationsFailed failed, rejected or timed out
 * @param imbalance        standard deviation of the binding load of reporting, in-service hosts
 * @param maintenance      latest status of every host that has been in maintenance
 * @param recentDecisions  latest plan decisions, oldest first
 * @param guests           every known guest, by host then name
 * @param recentMigrations latest migrations that ended, oldest first
 * @param recommendations  plans waiting for ApprovePlan, oldest first
 */
public record ClusterSnapshot(long takenAt, AutomationLevel automation, List<HostSnapshot> hosts,
                              List<MigrationSnapshot> inFlight, long migrationsIssued, long migrationsSucceeded,
                              long migrationsFailed, double imbalance, List<MaintenanceStatus> maintenance,
                              List<PlanDecision> recentDecisions, List<GuestSnapshot> guests,
                              List<FinishedMigration> recentMigrations, List<RecommendationSnapshot> recommendations) {
    public ClusterSnapshot {
        hosts = List.copyOf(hosts);
        inFlight = List.copyOf(inFlight);
        maintenance = List.copyOf(maintenance);
        recentDecisions = List.copyOf(recentDecisions);
        guests = List.copyOf(guests);
        recentMigrations = List.copyOf(recentMigrations);
        recommendations = List.copyOf(recommendations);
    }

    public Optional<HostSnapshot> host(String name) {
        return hosts.stream().filter(h -> h.host().equals(name)).findFirst();
    }

    public Optional<MaintenanceStatus> maintenanceOf(String host) {
        return maintenance.stream().filter(m -> m.host().equals(host)).findFirst();
    }
}
