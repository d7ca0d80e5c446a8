package org.virtbalancer.protocol;

/**
 * The body of an {@link Envelope}. Each permitted record is one message type of the topic
 * table in the README's "Topics and messages"; its envelope {@code type} is {@link MessageType#of(Message)}.
 */
public sealed interface Message permits Inventory, HostLoad, DomainEvent, Migrate, Abort, CommandResult,
        EnterMaintenance, ExitMaintenance, SetAutomation, ApprovePlan, RequestMigration, RequestOutcome, MaintenanceStatus, PlanDecision, DeadLetter,
        LeaderEpoch {
}
