package org.virtbalancer.agent.driver;

import org.virtbalancer.protocol.HostFacts;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The address a migration's memory stream goes to (virsh's {@code --migrateuri}), checked the same
 * way by every driver: a command may only name the target's own migration address from the
 * inventory, so it cannot steer a guest's memory anywhere else.
 */
public final class MigrateUri {
    private MigrateUri() {}

    /**
     * {@code tcp://<target migration address>}, or the request's own migrate URI when it names that
     * same address (it may add a port); empty when neither the request nor the inventory gives one
     * (the hypervisor then picks the target's address itself).
     *
     * @throws IllegalArgumentException when {@code requested} is not {@code tcp://address[:port]} or
     *                                  names another address; the message says what to use instead
     */
    public static String resolve(String requested, HostFacts target) {
        String address = target.migrationAddress();
        if (requested == null || requested.isEmpty()) {
            return address.isEmpty() ? "" : "tcp://" + (address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address);
        }
        String host;
        try {
            URI u = new URI(requested);
            host = u.getHost();
            if (!"tcp".equals(u.getScheme()) || host == null) {
                throw new URISyntaxException(requested, "expected tcp://address[:port]");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("migrate URI '" + requested + "' is not of the form tcp://address[:port]:"
                    + " give the target's migration address or leave it empty", e);
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (address.isEmpty() || !bare.equalsIgnoreCase(address)) {
            throw new IllegalArgumentException("migrate URI '" + requested + "' does not point at target host " + target.host()
                    + "'s migration address" + (address.isEmpty() ? " (it has none in the inventory)" : " " + address)
                    + ": leave migrateUri empty or use that address");
        }
        return requested;
    }
}
