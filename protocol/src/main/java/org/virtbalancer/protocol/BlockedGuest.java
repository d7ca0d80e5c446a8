package org.virtbalancer.protocol;

/**
 * A guest that cannot leave a draining host right now, and why.
 *
 * @param guest  domain name
 * @param reason what blocks it and what the operator can do
 */
public record BlockedGuest(String guest, String reason) {
    public BlockedGuest {
        Check.name("guest", guest);
        Check.text("reason", reason);
    }
}
