package org.virtbalancer.protocol;

/**
 * Control: take {@code host} out of placement and evacuate every guest from it.
 *
 * @param host   host id
 * @param reason free text for the audit trail; may be empty
 */
public record EnterMaintenance(String host, String reason) implements Message {
    public EnterMaintenance {
        Check.name("host", host);
        reason = Check.optionalText("reason", reason);
    }
}
