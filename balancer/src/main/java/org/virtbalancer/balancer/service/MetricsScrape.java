package org.virtbalancer.balancer.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * {@code GET /metrics} on the balancer's HTTP API: a Prometheus registry's meters in the text
 * format, formatted on a worker thread (a large cluster has many host series, and the API shares
 * the balancer's event loop).
 */
public final class MetricsScrape {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsScrape.class);
    /**
     * The Prometheus text format, version 0.0.4: what {@link PrometheusMeterRegistry#scrape()} writes,
     * asked for by name so the body and its content-type header always agree.
     */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;

    private MetricsScrape(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** The scrape of the Prometheus registry in {@code registry}, if there is one. */
    public static Optional<MetricsScrape> of(MeterRegistry registry) {
        return prometheus(registry).map(MetricsScrape::new);
    }

    /** {@code registry} itself, or one of a composite's, if it is a Prometheus registry. */
    static Optional<PrometheusMeterRegistry> prometheus(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry p) {
            return Optional.of(p);
        }
        if (registry instanceof CompositeMeterRegistry c) {
            return c.getRegistries().stream().map(MetricsScrape::prometheus).flatMap(Optional::stream).findFirst();
        }
        return Optional.empty();
    }

    /** The route's handler. */
    void serve(RoutingContext ctx) {
        ctx.vertx().executeBlocking(() -> registry.scrape(CONTENT_TYPE), false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("content-type", CONTENT_TYPE).end(ar.result());
            } else {
                LOG.error("could not format the metrics", ar.cause());
                ctx.response().setStatusCode(500).putHeader("content-type", "text/plain; charset=utf-8")
                        .end("the balancer could not format its metrics (" + ar.cause() + "); its log has the details\n");
            }
        });
    }
}
