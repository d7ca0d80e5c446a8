package org.virtbalancer.protocol;

/**
 * Control: return {@code host} to service; any drain still running stops issuing moves.
 *
 * @param host host id
 */
public record ExitMaintenance(String host) implements Message {
    public ExitMaintenance {
        Check.name("host", host);
    }
}
