package org.virtbalancer.protocol;

/** libvirt lifecycle events, including the two halves of a migration. */
public enum DomainEventKind {
    DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, CRASHED, MIGRATED_OUT, MIGRATED_IN
}
