package org.virtbalancer.protocol;

/**
 * A lifecycle event of one guest on one host.
 *
 * @param host   where it happened
 * @param guest  domain name
 * @param kind   what happened
 * @param detail libvirt's detail, e.g. {@code migrated}, {@code paused}, {@code booted}; may be empty
 */
public record DomainEvent(String host, String guest, DomainEventKind kind, String detail) implements Message {
    public DomainEvent {
        Check.name("host", host);
        Check.name("guest", guest);
        Check.present("kind", kind);
        detail = Check.optionalText("detail", detail);
    }
}
