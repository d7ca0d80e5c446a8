package org.virtbalancer.balancer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.balancer.core.RequestStatus;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /metrics} on the balancer's HTTP API, over real HTTP. */
class MetricsScrapeTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    private HttpApi start(Optional<MetricsScrape> metrics) throws Exception {
        BalancerQueries none = new BalancerQueries() {
            @Override
            public Future<Preview> preview() {
                return Future.failedFuture("not asked");
            }

            @Override
            public Future<Explanation> explain(String guest, Optional<String> target) {
                return Future.failedFuture("not asked");
            }

            @Override
            public Future<Explanation> explain(String guest, Optional<String> target, MigrationMode mode,
                                               MigrationOptions options) {
                return Future.failedFuture("not asked");
            }

            @Override
            public Future<Optional<String>> check(RequestMigration request) {
                return Future.failedFuture("not asked");
            }

            @Override
            public Future<Optional<RequestStatus>> request(String requestId) {
                return Future.failedFuture("not asked");
            }

            @Override
            public ClusterSnapshot snapshot() {
                return new BalancerCore(BalancerSettings.defaults(), Clock.systemUTC()).snapshot();
            }

            @Override
            public Instance instance() {
                return new Instance("b1", "leader", 1, "standalone");
            }

            @Override
            public Future<Envelope> control(Message control, String who) {
                return Future.failedFuture("not asked");
            }
        };
        return HttpApi.start(vertx, ApiEndpoint.loopback(0), none, metrics).toCompletionStage().toCompletableFuture().get();
    }

    private HttpResponse<String> get(HttpApi api) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePrometheusRegistryInTheTextFormat() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("vb.test.things").description("Things").register(registry).increment(3);

        HttpResponse<String> r = get(start(MetricsScrape.of(registry)));

        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.body().contains("# TYPE vb_test_things_total counter\nvb_test_things_total 3.0\n"), r.body());
    }

    @Test
    void findsThePrometheusRegistryInACompositeAndServesNoMetricsWithoutOne() throws Exception {
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(new SimpleMeterRegistry());
        composite.add(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        assertTrue(MetricsScrape.of(composite).isPresent());
        assertTrue(MetricsScrape.of(new SimpleMeterRegistry()).isEmpty());

        HttpResponse<String> r = get(start(MetricsScrape.of(new SimpleMeterRegistry())));

        assertEquals(404, r.statusCode(), r.body());
    }
}
