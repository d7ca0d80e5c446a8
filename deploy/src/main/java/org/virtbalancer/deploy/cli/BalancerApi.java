package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Optional;

/** GETs against a balancer's HTTP API; every failure becomes a {@link CommandFailure} with its sentence and exit code. */
final class BalancerApi {
    /** Planning a large cluster takes a while; the API answers once the balancer's thread is free. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);
    /** Newer balancers may add fields; older CLIs read what they know. */
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final URI base;
    private final String token;
    /**
     * HTTP/1.1 only: the API speaks plain HTTP/1.1, and the JDK client's default, an h2c upgrade on the first
     * request of each connection, only adds a protocol switch both ends must get right.
     */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** @param token bearer token to send, "" for none */
    BalancerApi(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /** The body of the API's 200 answer to {@code GET path}. */
    String get(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(ANSWER_WITHIN)
                .header("accept", "application/json");
        if (!token.isEmpty()) {
            request.header("authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException | UnresolvedAddressException e) {
            throw CommandFailure.unreachable("cannot reach the balancer API at " + base + ": start the demo"
                    + " (deploy/bin/vbal demo) or a balancer (vbal balancer), or point --api (or VB_API) at a running"
                    + " balancer's API, e.g. --api " + ApiOptions.DEFAULT);
        } catch (HttpTimeoutException e) {
            throw CommandFailure.failed("the balancer API at " + base + " did not answer within "
                    + ANSWER_WITHIN.toSeconds() + " s; it may be busy planning a large cluster, so try again");
        } catch (IOException e) {
            throw CommandFailure.failed("the balancer API at " + base + " failed to answer (" + e.getMessage()
                    + "); check that --api names a balancer's API");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCode.CANCELLED, "interrupted while waiting for the balancer API at " + base);
        }
        int status = response.statusCode();
        if (status == 200) {
            return response.body();
        }
        if (status == 401) {
            throw CommandFailure.usage("the balancer API at " + base + (token.isEmpty() ? " wants a token for reads"
                    : " refused the token given") + ": pass --api-token-file FILE (or set VB_API_TOKEN) with the token"
                    + " the balancer was started with");
        }
        Optional<String> why = errorOf(response.body());
        String sentence = why.orElse("the server at " + base + " answered HTTP " + status
                + " without an explanation; check that --api names a balancer's API");
        // The balancer's 404s name an unknown guest or host; a bare 404 is some other server.
        throw status == 404 && why.isPresent() ? CommandFailure.unknown(sentence) : CommandFailure.failed(sentence);
    }

    /** {@code body} read as {@code type}; {@code what} names it when this vbal cannot read it. */
    static <T> T read(String body, TypeReference<T> type, String what) {
        try {
            return JSON.readValue(body, type);
        } catch (IOException e) {
            throw CommandFailure.failed("the balancer API answered with " + what + " this vbal cannot read ("
                    + e.getMessage() + "); use --json, or a vbal of the balancer's version");
        }
    }

    private static Optional<String> errorOf(String body) {
        try {
            JsonNode error = JSON.readTree(body).get("error");
            return error == null || !error.isTextual() ? Optional.empty() : Optional.of(error.asText());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
