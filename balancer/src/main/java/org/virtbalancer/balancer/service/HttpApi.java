package org.virtbalancer.balancer.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.balancer.plan.Explanation;

import java.util.Map;
import java.util.Optional;

/**
 * The balancer's read-only HTTP API, JSON over loopback by default:
 * <ul>
 *   <li>{@code GET /api/plan}: what the balancer would do now ({@link org.virtbalancer.balancer.core.Preview})</li>
 *   <li>{@code GET /api/explain/GUEST[?target=HOST]}: where the guest can go, every failing rule per host
 *       ({@link Explanation}); 404 when the guest or the host is unknown</li>
 *   <li>{@code GET /metrics}: the process's metrics in the Prometheus text format, when it has a
 *       Prometheus registry ({@link MetricsScrape})</li>
 * </ul>
 * Errors are {@code {"error": "<one sentence saying what to do>"}}.
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final String ENDPOINTS = "the API answers GET /api/plan and GET /api/explain/GUEST?target=HOST";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer server;
    private final String url;

    private HttpApi(HttpServer server, String url) {
        this.server = server;
        this.url = url;
    }

    /** Listens on {@code endpoint}; fails with a sentence naming the address when it cannot. */
    public static Future<HttpApi> start(Vertx vertx, ApiEndpoint endpoint, BalancerQueries queries) {
        return start(vertx, endpoint, queries, Optional.empty());
    }

    /** As {@link #start(Vertx, ApiEndpoint, BalancerQueries)}, with {@code GET /metrics} when {@code metrics} is given. */
    public static Future<HttpApi> start(Vertx vertx, ApiEndpoint endpoint, BalancerQueries queries,
                                        Optional<MetricsScrape> metrics) {
        return vertx.createHttpServer(new HttpServerOptions().setHost(endpoint.host()).setPort(endpoint.port()))
                .requestHandler(routes(vertx, queries, metrics))
                .listen()
                .recover(e -> Future.failedFuture(new IllegalStateException("the balancer API cannot listen on "
                        + endpoint.host() + ":" + endpoint.port() + " (" + e.getMessage() + "); choose another"
                        + " --http-port, 0 for any free port, or -1 for no API", e)))
                .map(s -> new HttpApi(s, "http://" + reachable(endpoint.host()) + ":" + s.actualPort()));
    }

    private static Router routes(Vertx vertx, BalancerQueries queries, Optional<MetricsScrape> metrics) {
        Router router = Router.router(vertx);
        metrics.ifPresent(m -> router.get("/metrics").handler(m::serve));
        router.get("/api/plan").handler(ctx -> reply(ctx, queries.preview()));
        router.get("/api/explain/:guest").handler(ctx -> {
            Optional<String> target = Optional.ofNullable(ctx.queryParams().get("target")).filter(t -> !t.isBlank());
            reply(ctx, queries.explain(ctx.pathParam("guest"), target).map(e -> {
                // No verdict at all: the guest, or the host asked about, is not known.
                if (e.host().isEmpty() || (target.isPresent() && e.hosts().isEmpty())) {
                    throw new NotFound(e.summary());
                }
                return e;
            }));
        });
        router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " "
                + ctx.request().path() + "; " + ENDPOINTS + "."));
        router.errorHandler(405, ctx -> error(ctx, 405, "the API is read-only: " + ENDPOINTS + "."));
        return router;
    }

    private static void reply(RoutingContext ctx, Future<?> answer) {
        answer.onComplete(done -> {
            if (done.succeeded()) {
                send(ctx, 200, done.result());
            } else if (done.cause() instanceof NotFound nf) {
                error(ctx, 404, nf.getMessage());
            } else {
                LOG.error("API request {} failed", ctx.request().path(), done.cause());
                error(ctx, 500, "the balancer could not answer (" + done.cause() + "); its log has the details.");
            }
        });
    }

    private static void error(RoutingContext ctx, int status, String sentence) {
        send(ctx, status, Map.of("error", sentence));
    }

    private static void send(RoutingContext ctx, int status, Object body) {
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            LOG.error("cannot write {} as JSON", body.getClass().getSimpleName(), e);
            status = 500;
            json = "{\"error\": \"the balancer could not write its answer as JSON; its log has the details.\"}";
        }
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8").end(json);
    }

    /** A wildcard bind address is reached through loopback from this machine. */
    private static String reachable(String host) {
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host.contains(":") ? "[" + host + "]" : host;
    }

    /** Where the API answers, e.g. {@code http://127.0.0.1:8484}. */
    public String url() {
        return url;
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server.close();
    }

    /** A question about a guest or host the balancer does not know; the message says what to do. */
    private static final class NotFound extends RuntimeException {
        NotFound(String message) {
            super(message, null, false, false);
        }
    }
}
