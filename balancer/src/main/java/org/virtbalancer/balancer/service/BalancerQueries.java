package org.virtbalancer.balancer.service;

import org.virtbalancer.balancer.core.RequestStatus;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.RequestMigration;
import io.vertx.core.Future;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.Message;

import java.util.Optional;

/** What the HTTP API asks a running balancer; the core's questions are answered on the thread that owns it. */
public interface BalancerQueries {
    /** What the balancer would do if it decided now. */
    Future<Preview> preview();

    /** Where the guest can go and why not elsewhere; with a target, that host's verdict only. */
    Future<Explanation> explain(String guest, Optional<String> target);

    /** Where the guest can go, and why not elsewhere, for a move made this way (an operator's {@code vbal migrate}). */
    Future<Explanation> explain(String guest, Optional<String> target, MigrationMode mode, MigrationOptions options);

    /** Why the leader would refuse this request now (every failing rule), on this balancer's model; empty when it would run. */
    Future<Optional<String>> check(RequestMigration request);

    /** Where an operator's migration request stands; empty when this balancer never saw it. */
    Future<Optional<RequestStatus>> request(String requestId);

    /** The latest view of the cluster; safe from any thread, possibly a few ticks old. */
    ClusterSnapshot snapshot();

    /** This balancer instance: its name and role in the cluster of balancers. */
    Instance instance();

    /**
     * Writes an operator's control message to the control topic, exactly as {@code vbal} would;
     * completes once Kafka has it.
     *
     * @param control EnterMaintenance, ExitMaintenance, SetAutomation, ApprovePlan or RequestMigration
     * @param who     the operator, for the envelope's source ({@code operator:<who>})
     */
    Future<Envelope> control(Message control, String who);

    /**
     * A balancer instance as the API reports it.
     *
     * @param id      instance name
     * @param role    FOLLOWER, OPENING, CATCHING_UP or LEADER
     * @param epoch   the leader epoch it holds (0 when it never led)
     * @param members the cluster of balancers as it sees it
     */
    record Instance(String id, String role, long epoch, String members) {}
}
