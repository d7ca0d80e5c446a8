package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.service.ApiEndpoint;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where a balancer's HTTP API is. Resolution order: {@code --api}, {@code VB_API}, the running
 * demo's address file, then {@code http://127.0.0.1:8484} ({@code vbal balancer}'s default). The
 * token, for an API that wants one for reads (bound to another address than loopback):
 * {@code --api-token-file}, {@code VB_API_TOKEN}, then the running demo's (for the demo's API only).
 */
public final class ApiOptions {
    static final String DEFAULT = "http://127.0.0.1:" + ApiEndpoint.DEFAULT_PORT;

    @Option(names = "--api", paramLabel = "URL",
            description = "The balancer's HTTP API (default: $VB_API, the running demo's API, or " + DEFAULT + ")")
    String api;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "File holding the API's bearer token, needed when the API listens on another address than"
                    + " loopback (default: $VB_API_TOKEN, or the running demo's)")
    Path tokenFile;

    /** A client of the API these options name. */
    BalancerApi client() {
        URI base = base();
        String token;
        try {
            token = ApiToken.read(tokenFile, System.getenv("VB_API_TOKEN"));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage());
        }
        Properties demo = ConnectionOptions.demoProperties();
        // The demo's token goes to the demo's API only, never to another server.
        if (token.isEmpty() && tokenFile == null && base.toString().equals(demo.getProperty("api"))) {
            token = demo.getProperty("token", "");
        }
        return new BalancerApi(base, token);
    }

    /** The API's base address, without a trailing slash. */
    URI base() {
        String url = ConnectionOptions.firstOf(api, System.getenv("VB_API"),
                ConnectionOptions.demoProperties().getProperty("api"), DEFAULT);
        String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        try {
            URI uri = new URI(trimmed);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // Same answer as any other address that is not http(s)://HOST[:PORT].
        }
        throw CommandFailure.usage("the API address " + url + " is not an http:// or https:// address; pass --api"
                + " with one such as " + DEFAULT);
    }
}
