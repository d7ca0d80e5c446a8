package org.virtbalancer.agent.libvirt;

import org.libvirt.event.DomainEventType;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.DomainEventKind;

import java.util.Locale;
import java.util.Optional;

/**
 * libvirt lifecycle events in the protocol's terms, as the simulated driver emits them: a guest
 * started or stopped by migration is {@code MIGRATED_IN} / {@code MIGRATED_OUT} with detail
 * {@code migrated}; every other detail is libvirt's, lower-case ({@code booted}, {@code paused}, …).
 */
final class LifecycleEvents {
    private LifecycleEvents() {}

    /** Empty for events the protocol has no kind for (shutdown requested, unknown). */
    static Optional<DomainEvent> toDomainEvent(String host, String guest, org.libvirt.event.DomainEvent event) {
        Enum<?> detail;
        try {
            detail = event.getDetail();
        } catch (RuntimeException e) {
            // libvirt-java 0.5.4 has no detail table for SHUTDOWN and UNKNOWN and fails on them.
            detail = null;
        }
        String d = detail == null || "UNKNOWN".equals(detail.name()) ? "" : detail.name().toLowerCase(Locale.ROOT);
        boolean migrated = "migrated".equals(d);
        DomainEventKind kind = switch (event.getType()) {
            case DEFINED -> DomainEventKind.DEFINED;
            case UNDEFINED -> DomainEventKind.UNDEFINED;
            case STARTED -> migrated ? DomainEventKind.MIGRATED_IN : DomainEventKind.STARTED;
            case SUSPENDED -> DomainEventKind.SUSPENDED;
            case RESUMED -> DomainEventKind.RESUMED;
            case STOPPED -> migrated ? DomainEventKind.MIGRATED_OUT : DomainEventKind.STOPPED;
            case CRASHED -> DomainEventKind.CRASHED;
            // A guest suspended to RAM or disk by its own power management is paused as far as migration cares.
            case PMSUSPENDED -> DomainEventKind.SUSPENDED;
            // SHUTDOWN says the guest began shutting down; the STOPPED that follows is what changes its state.
            case SHUTDOWN, UNKNOWN -> null;
        };
        if (kind == null) {
            return Optional.empty();
        }
        if (event.getType() == DomainEventType.PMSUSPENDED) {
            d = d.isEmpty() ? "pmsuspended" : "pmsuspended_" + d;
        }
        return Optional.of(new DomainEvent(host, guest, kind, d));
    }
}
