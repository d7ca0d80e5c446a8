package org.virtbalancer.balancer.core;

import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;

/** Something the shell must send now, in the order {@link BalancerCore#tick()} returns them. */
public sealed interface Action {
    /**
     * Send to {@code topics.commands(migrate.source())} with envelope id {@code commandId}.
     *
     * @param purpose  why it moves (for metrics and logs; the command does not carry it)
     * @param approved whether an operator approved it (ApprovePlan) rather than the balancer deciding alone
     */
    record SendMigrate(String commandId, Migrate migrate, Purpose purpose, boolean approved) implements Action {}

    /** Send to {@code topics.commands(host)}; {@code commandId} is the fresh id of this abort command. */
    record SendAbort(String commandId, String host, Abort abort) implements Action {}

    /** Write to the control topic under {@code ControlKey.of(message)}: the leader's answer to an operator's request. */
    record SendControl(Message message) implements Action {}

    /** Publish to the decisions topic: a MaintenanceStatus (key host) or a PlanDecision (key planId). */
    record PublishDecision(String key, Message decision) implements Action {}
}
