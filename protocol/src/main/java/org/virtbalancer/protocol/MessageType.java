package org.virtbalancer.protocol;

import java.util.Arrays;
import java.util.Optional;

/** The envelope's {@code type} values and the record each one carries. */
public enum MessageType {
    INVENTORY("Inventory", Inventory.class),
    HOST_LOAD("HostLoad", HostLoad.class),
    DOMAIN_EVENT("DomainEvent", DomainEvent.class),
    MIGRATE("Migrate", Migrate.class),
    ABORT("Abort", Abort.class),
    COMMAND_RESULT("CommandResult", CommandResult.class),
    ENTER_MAINTENANCE("EnterMaintenance", EnterMaintenance.class),
    EXIT_MAINTENANCE("ExitMaintenance", ExitMaintenance.class),
    SET_AUTOMATION("SetAutomation", SetAutomation.class),
    APPROVE_PLAN("ApprovePlan", ApprovePlan.class),
    REQUEST_MIGRATION("RequestMigration", RequestMigration.class),
    REQUEST_OUTCOME("RequestOutcome", RequestOutcome.class),
    MAINTENANCE_STATUS("MaintenanceStatus", MaintenanceStatus.class),
    PLAN("Plan", PlanDecision.class),
    DEAD_LETTER("DeadLetter", DeadLetter.class),
    LEADER_EPOCH("LeaderEpoch", LeaderEpoch.class);

    private final String wireName;
    private final Class<? extends Message> bodyType;

    MessageType(String wireName, Class<? extends Message> bodyType) {
        this.wireName = wireName;
        this.bodyType = bodyType;
    }

    /** The name used in the envelope's {@code type} field. */
    public String wireName() {
        return wireName;
    }

    /** The record class of the body. */
    public Class<? extends Message> bodyType() {
        return bodyType;
    }

    public static Optional<MessageType> fromWire(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    public static MessageType of(Message body) {
        return Arrays.stream(values()).filter(t -> t.bodyType.isInstance(body)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no message type for " + body.getClass()));
    }

    /** Wire names of every type, for error messages. */
    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(MessageType::wireName).toList());
    }
}
