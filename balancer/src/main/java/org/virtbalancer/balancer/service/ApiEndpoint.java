package org.virtbalancer.balancer.service;

import org.virtbalancer.protocol.Check;

/**
 * Where the balancer's HTTP API listens.
 *
 * @param host address to bind; loopback by default, since the API has no authentication
 * @param port TCP port; 0 takes any free port, -1 runs no API
 */
public record ApiEndpoint(String host, int port) {
    /** The port operators' commands try when told nothing else. */
    public static final int DEFAULT_PORT = 8484;
    public static final ApiEndpoint OFF = new ApiEndpoint("127.0.0.1", -1);

    public ApiEndpoint {
        Check.text("host", host);
        if (port < -1 || port > 65_535) {
            throw new IllegalArgumentException("the API port must be 0-65535, or -1 for no API; got " + port);
        }
    }

    /** On 127.0.0.1. */
    public static ApiEndpoint loopback(int port) {
        return new ApiEndpoint("127.0.0.1", port);
    }

    public boolean enabled() {
        return port >= 0;
    }
}
