package org.virtbalancer.balancer.service;

import org.virtbalancer.protocol.Check;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where the balancer's HTTP API (and its live page) listens, and who may use it.
 *
 * @param host      address to bind; loopback by default
 * @param port      TCP port; 0 takes any free port, -1 runs no API
 * @param token     the bearer token writes (maintenance, automation, approvals) must carry; empty: the API
 *                  takes no writes
 * @param openReads whether reads need no token; by default only when the API is bound to loopback
 */
public record ApiEndpoint(String host, int port, String token, boolean openReads) {
    /** The port operators' commands try when told nothing else. */
    public static final int DEFAULT_PORT = 8484;
    public static final ApiEndpoint OFF = new ApiEndpoint("127.0.0.1", -1, "", true);
    /** Shorter tokens are too easy to guess. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public ApiEndpoint {
        Check.text("host", host);
        if (port < -1 || port > 65_535) {
            throw new IllegalArgumentException("the API port must be 0-65535, or -1 for no API; got " + port);
        }
        token = token == null ? "" : token.strip();
        if (!token.isEmpty() && token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("the API token is " + token.length() + " characters long; use at least "
                    + MIN_TOKEN_LENGTH + ", e.g. from: head -c 24 /dev/urandom | base64");
        }
        if (port >= 0 && !openReads && token.isEmpty()) {
            throw new IllegalArgumentException("the API on " + host + " would need a token for reads but has none; give it"
                    + " a token (--api-token-file) or bind it to loopback (--http-host 127.0.0.1)");
        }
    }

    /** On 127.0.0.1, reads open, no writes. */
    public static ApiEndpoint loopback(int port) {
        return new ApiEndpoint("127.0.0.1", port, "", true);
    }

    /** On {@code host}; reads are open only when that is a loopback address. */
    public static ApiEndpoint on(String host, int port, String token) {
        return new ApiEndpoint(host, port, token, isLoopback(host));
    }

    public ApiEndpoint withToken(String newToken) {
        return new ApiEndpoint(host, port, newToken, openReads);
    }

    public boolean enabled() {
        return port >= 0;
    }

    public boolean takesWrites() {
        return !token.isEmpty();
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "ApiEndpoint[" + host + ":" + port + (takesWrites() ? ", writes with a token" : ", read-only")
                + (openReads ? "" : ", reads with a token") + "]";
    }
}
