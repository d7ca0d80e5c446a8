package org.virtbalancer.protocol;

/** As VMware DRS: how much the balancer does on its own. */
public enum AutomationLevel {
    /** Recommend only; every plan waits for ApprovePlan. */
    MANUAL,
    /** Maintenance drains run; balancing moves are only recommended. */
    PARTIAL,
    /** Everything runs automatically. */
    FULL
}
