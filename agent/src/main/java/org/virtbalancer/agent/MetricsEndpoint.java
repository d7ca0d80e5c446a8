package org.virtbalancer.agent;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent process's {@code GET /metrics}: its meters in the Prometheus text format, for every
 * host it runs (a fleet serves one endpoint for all its hosts). The scrape is formatted on a worker
 * thread, so a large fleet never holds up an event loop.
 */
public final class MetricsEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
    /** The port {@code vbal agent} serves on when told nothing else: next to the balancer API's 8484. */
    public static final int DEFAULT_PORT = 8485;
    private static final String PATH = "/metrics";
    /**
     * The Prometheus text format, version 0.0.4: what {@link PrometheusMeterRegistry#scrape()} writes,
     * asked for by name so the body and its content-type header always agree.
     */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final String url;

    private MetricsEndpoint(HttpServer server, String url) {
        this.server = server;
        this.url = url;
    }

    /**
     * Listens on {@code host:port} (port 0: any free port); fails with a sentence naming the address
     * when it cannot.
     */
    public static Future<MetricsEndpoint> start(Vertx vertx, String host, int port, PrometheusMeterRegistry registry) {
        return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
                .requestHandler(request -> handle(vertx, request, registry))
                .listen()
                .recover(e -> Future.failedFuture(new IllegalStateException("the agent's metrics endpoint cannot listen on "
                        + host + ":" + port + " (" + e.getMessage() + "); choose another --metrics-port, 0 for any free"
                        + " port, or -1 for none", e)))
                .map(s -> new MetricsEndpoint(s, "http://" + reachable(host) + ":" + s.actualPort() + PATH));
    }

    private static void handle(Vertx vertx, HttpServerRequest request, PrometheusMeterRegistry registry) {
        if (!request.path().equals(PATH)) {
            text(request, 404, "no such endpoint: " + request.path() + "; the agent serves GET " + PATH + "\n");
            return;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            text(request, 405, "the metrics endpoint is read-only: use GET " + PATH + "\n");
            return;
        }
        vertx.executeBlocking(() -> registry.scrape(CONTENT_TYPE), false).onComplete(ar -> {
            if (ar.succeeded()) {
                request.response().putHeader("content-type", CONTENT_TYPE).end(ar.result());
            } else {
                LOG.error("could not format the metrics", ar.cause());
                text(request, 500, "the agent could not format its metrics (" + ar.cause() + "); its log has the details\n");
            }
        });
    }

    private static void text(HttpServerRequest request, int status, String body) {
        request.response().setStatusCode(status).putHeader("content-type", "text/plain; charset=utf-8").end(body);
    }

    /** A wildcard bind address is reached through loopback from this machine. */
    private static String reachable(String host) {
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host.contains(":") ? "[" + host + "]" : host;
    }

    /** Where the metrics are, e.g. {@code http://127.0.0.1:8485/metrics}. */
    public String url() {
        return url;
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server.close();
    }
}
