package org.virtbalancer.deploy.cli;

import org.virtbalancer.balancer.service.ApiEndpoint;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where a balancer's HTTP API is. Resolution order: {@code --api}, {@code VB_API}, the running
 * demo's address file, then {@code http://127.0.0.1:8484} ({@code vbal balancer}'s default).
 */
public final class ApiOptions {
    static final String DEFAULT = "http://127.0.0.1:" + ApiEndpoint.DEFAULT_PORT;

    @Option(names = "--api", paramLabel = "URL",
            description = "The balancer's HTTP API (default: $VB_API, the running demo's API, or " + DEFAULT + ")")
    String api;

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
        throw new IllegalArgumentException("the API address " + url + " is not an http:// or https:// address; pass --api"
                + " with one such as " + DEFAULT);
    }
}
