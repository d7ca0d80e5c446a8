package org.virtbalancer.deploy.cli;

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
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** One GET against a balancer's HTTP API, with every failure turned into a sentence and an exit code. */
final class BalancerApi {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_UNREACHABLE = 5;
    static final int EXIT_UNKNOWN = 6;
    /** Planning a large cluster takes a while; the API answers once the balancer's thread is free. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);
    /** Newer balancers may add fields; older CLIs read what they know. */
    static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    BalancerApi(URI base) {
        this.base = base;
    }

    /** The answer: a 200 body, or the exit code after the error has been printed. */
    record Reply(Optional<String> body, int exit) {
        /**
         * Prints the answer: the JSON as it came with {@code json}, else {@code text} of it read as
         * {@code type}; {@code what} names it in the error when this vbal cannot read it.
         */
        <T> int print(boolean json, Class<T> type, String what, Function<T, List<String>> text,
                      MaintenanceCommand.Output output) {
            if (body.isEmpty()) {
                return exit;
            }
            if (json) {
                output.line(body.get());
                return EXIT_OK;
            }
            try {
                text.apply(JSON.readValue(body.get(), type)).forEach(output::line);
                return EXIT_OK;
            } catch (IOException e) {
                output.error("the balancer API answered with " + what + " this vbal cannot read (" + e.getMessage()
                        + "); use --json, or a vbal of the balancer's version");
                return EXIT_FAILED;
            }
        }
    }

    Reply get(String path, MaintenanceCommand.Output output) {
        URI uri = URI.create(base + path);
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(ANSWER_WITHIN).header("accept", "application/json")
                    .build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException | UnresolvedAddressException e) {
            output.error("cannot reach the balancer API at " + base + ": start the demo (deploy/bin/vbal demo) or a"
                    + " balancer (vbal balancer), or point --api (or VB_API) at a running balancer's API, e.g. --api "
                    + ApiOptions.DEFAULT);
            return new Reply(Optional.empty(), EXIT_UNREACHABLE);
        } catch (HttpTimeoutException e) {
            output.error("the balancer API at " + base + " did not answer within " + ANSWER_WITHIN.toSeconds()
                    + " s; it may be busy planning a large cluster, so try again");
            return new Reply(Optional.empty(), EXIT_FAILED);
        } catch (IOException e) {
            output.error("the balancer API at " + base + " failed to answer (" + e.getMessage() + "); check that --api"
                    + " names a balancer's API");
            return new Reply(Optional.empty(), EXIT_FAILED);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(Optional.empty(), EXIT_FAILED);
        }
        if (response.statusCode() == 200) {
            return new Reply(Optional.of(response.body()), EXIT_OK);
        }
        Optional<String> why = errorOf(response.body());
        output.error(why.orElse("the server at " + base + " answered HTTP " + response.statusCode()
                + " without an explanation; check that --api names a balancer's API"));
        // The balancer's 404s name an unknown guest or host; a bare 404 is some other server.
        return new Reply(Optional.empty(), response.statusCode() == 404 && why.isPresent() ? EXIT_UNKNOWN : EXIT_FAILED);
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
