package org.virtbalancer.balancer.core;

import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.PlanDecision;

import java.util.List;

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
 */
public record ClusterSnapshot(long takenAt, AutomationLevel automation, List<HostSnapshot> hosts,
                              List<MigrationSnapshot> inFlight, long migrationsIssued, long migrationsSucceeded,
                              long migrationsFailed, double imbalance, List<MaintenanceStatus> maintenance,
                              List<PlanDecision> recentDecisions) {
    public ClusterSnapshot {
        hosts = List.copyOf(hosts);
        inFlight = List.copyOf(inFlight);
        maintenance = List.copyOf(maintenance);
        recentDecisions = List.copyOf(recentDecisions);
    }
}
