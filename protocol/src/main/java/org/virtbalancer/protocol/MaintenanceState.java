package org.virtbalancer.protocol;

/** A host's maintenance lifecycle. */
public enum MaintenanceState {
    /** In service: accepts guests. */
    ACTIVE,
    /** Draining: accepts no guests; guests are leaving. */
    ENTERING,
    /** Empty and out of placement. */
    IN_MAINTENANCE
}
