package org.virtbalancer.balancer.replay;

import java.util.List;

/**
 * A balancing policy under replay: every virtual minute it sees the cluster and says which
 * migrations to start. Baselines act only every {@link #BASELINE_ROUND_MINUTES} minutes.
 */
public interface Policy {
    /** How often the baselines run, as their daemons' schedules would in a real cluster. */
    int BASELINE_ROUND_MINUTES = 5;

    /**
     * A migration to start.
     *
     * @param guest  the guest
     * @param target the host it should go to
     * @param reason why, for logs
     */
    record MigrationRequest(String guest, String target, String reason) {}

    String name();

    List<MigrationRequest> decide(ReplayCluster cluster, int minute);

    /** A migration this policy asked for has ended (the cluster already shows its outcome). */
    default void onFinished(ReplayCluster.InFlight migration, ReplayCluster cluster, int minute) {}
}
