package org.virtbalancer.agent.libvirt;

import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Detail numbers are libvirt's (virDomainEvent*DetailType in libvirt-domain.h). */
class LifecycleEventsTest {

    private static Optional<DomainEvent> map(DomainEventType type, int detail) {
        return LifecycleEvents.toDomainEvent("host-a", "web-1", new org.libvirt.event.DomainEvent(type, detail));
    }

    private static Optional<DomainEvent> event(DomainEventKind kind, String detail) {
        return Optional.of(new DomainEvent("host-a", "web-1", kind, detail));
    }

    @Test
    void mapsLifecycleEventsAsTheSimulatedDriverEmitsThem() {
        assertEquals(event(DomainEventKind.DEFINED, "added"), map(DomainEventType.DEFINED, 0));
        assertEquals(event(DomainEventKind.DEFINED, "updated"), map(DomainEventType.DEFINED, 1));
        assertEquals(event(DomainEventKind.UNDEFINED, "removed"), map(DomainEventType.UNDEFINED, 0));
        assertEquals(event(DomainEventKind.STARTED, "booted"), map(DomainEventType.STARTED, 0));
        assertEquals(event(DomainEventKind.SUSPENDED, "paused"), map(DomainEventType.SUSPENDED, 0));
        assertEquals(event(DomainEventKind.SUSPENDED, "migrated"), map(DomainEventType.SUSPENDED, 1));
        assertEquals(event(DomainEventKind.RESUMED, "unpaused"), map(DomainEventType.RESUMED, 0));
        assertEquals(event(DomainEventKind.RESUMED, "migrated"), map(DomainEventType.RESUMED, 1));
        assertEquals(event(DomainEventKind.STOPPED, "shutdown"), map(DomainEventType.STOPPED, 0));
        assertEquals(event(DomainEventKind.STOPPED, "destroyed"), map(DomainEventType.STOPPED, 1));
        assertEquals(event(DomainEventKind.CRASHED, "panicked"), map(DomainEventType.CRASHED, 0));
    }

    @Test
    void guestsStartedOrStoppedByMigrationAreMigratedInAndOut() {
        assertEquals(event(DomainEventKind.MIGRATED_IN, "migrated"), map(DomainEventType.STARTED, 1));
        assertEquals(event(DomainEventKind.MIGRATED_OUT, "migrated"), map(DomainEventType.STOPPED, 3));
    }

    @Test
    void powerManagementSuspendIsASuspensionAndShutdownRequestsAreNotReported() {
        assertEquals(event(DomainEventKind.SUSPENDED, "pmsuspended_memory"), map(DomainEventType.PMSUSPENDED, 0));
        assertEquals(Optional.empty(), map(DomainEventType.SHUTDOWN, 0));
        assertEquals(Optional.empty(), map(DomainEventType.UNKNOWN, 0));
    }

    @Test
    void detailsNewerThanTheBindingBecomeEmpty() {
        assertEquals(event(DomainEventKind.SUSPENDED, ""), map(DomainEventType.SUSPENDED, 42));
    }
}
