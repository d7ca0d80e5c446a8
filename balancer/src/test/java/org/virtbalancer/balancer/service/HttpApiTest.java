package org.virtbalancer.balancer.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.balancer.replay.VirtualClock;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.Inventory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.balancer.Fixtures.guest;
import static org.virtbalancer.balancer.Fixtures.guestLoad;
import static org.virtbalancer.balancer.Fixtures.host;
import static org.virtbalancer.balancer.Fixtures.load;

/** The API over real HTTP, answered by a real core (no Kafka: the queries go straight to it). */
class HttpApiTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private Vertx vertx;
    private HttpApi api;

    /** h1 at 15 of 16 cores with two 7-core guests; h2 idle; h3 in maintenance. */
    @BeforeEach
    void start() throws Exception {
        VirtualClock clock = VirtualClock.atStart();
        BalancerCore core = new BalancerCore(BalancerSettings.defaults(), clock);
        core.onInventory(new Inventory(host("h1"), List.of(guest("web-1", GuestState.RUNNING),
                guest("web-2", GuestState.RUNNING))));
        core.onInventory(new Inventory(host("h2"), List.of()));
        core.onInventory(new Inventory(host("h3"), List.of()));
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(10));
            core.onHostLoad(load("h1", 15, guestLoad("web-1", 7), guestLoad("web-2", 7)));
            core.onHostLoad(load("h2", 1));
            core.onHostLoad(load("h3", 1));
        }
        core.onControl(new EnterMaintenance("h3", ""));
        vertx = Vertx.vertx();
        api = HttpApi.start(vertx, ApiEndpoint.loopback(0), new BalancerQueries() {
            @Override
            public Future<Preview> preview() {
                return Future.succeededFuture(core.preview());
            }

            @Override
            public Future<Explanation> explain(String guest, Optional<String> target) {
                return Future.succeededFuture(target.map(t -> core.explain(guest, t)).orElseGet(() -> core.explain(guest)));
            }
        }).toCompletionStage().toCompletableFuture().get();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void planIsTheMovesTheBalancerWouldMakeNowAsJson() throws Exception {
        HttpResponse<String> r = get("/api/plan");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode plan = json.readTree(r.body());
        assertEquals("FULL", plan.get("automation").asText());
        JsonNode step = plan.get("steps").get(0);
        assertEquals("overload h1", step.get("trigger").asText());
        assertTrue(step.get("wouldIssue").asBoolean());
        JsonNode move = step.get("moves").get(0);
        assertEquals("h2", move.get("target").asText());
        assertEquals("LIVE", move.get("mode").asText());
        assertTrue(move.get("reason").asText().startsWith("h1 cpu 0.94 > 0.85 for 3 of 5 samples; "), move.toString());
        assertEquals(0.94, move.get("sourceBefore").asDouble(), 0.01);
        assertTrue(move.get("transferMiB").asLong() > 0 && move.get("durationMs").asLong() > 0, move.toString());
        assertTrue(plan.get("imbalanceAfter").asDouble() < plan.get("imbalanceBefore").asDouble());
    }

    @Test
    void explainCountsTheReasonsAndATargetGetsItsOwnVerdict() throws Exception {
        JsonNode all = json.readTree(get("/api/explain/web-1").body());
        assertEquals("h1", all.get("host").asText());
        assertEquals("1/2 hosts can take web-1: 1 in maintenance", all.get("summary").asText());
        assertEquals("in maintenance", all.get("counts").get(0).get("reason").asText());
        assertEquals(1, all.get("counts").get(0).get("hosts").asInt());

        HttpResponse<String> one = get("/api/explain/web-1?target=h3");
        assertEquals(200, one.statusCode());
        JsonNode h3 = json.readTree(one.body());
        assertEquals("h3 cannot take web-1: in maintenance", h3.get("summary").asText());
        assertEquals("NotInMaintenance", h3.get("hosts").get(0).get("failures").get(0).get("rule").asText());
    }

    @Test
    void unknownGuestsHostsAndPathsAre404WithASentenceAndWritesAre405() throws Exception {
        HttpResponse<String> guest = get("/api/explain/nobody");
        assertEquals(404, guest.statusCode());
        assertTrue(json.readTree(guest.body()).get("error").asText().startsWith("nobody is not in any host's inventory;"),
                guest.body());

        HttpResponse<String> host = get("/api/explain/web-1?target=h9");
        assertEquals(404, host.statusCode());
        assertTrue(json.readTree(host.body()).get("error").asText().startsWith("h9 is not a known host"), host.body());

        HttpResponse<String> path = get("/api/nothing");
        assertEquals(404, path.statusCode());
        assertTrue(json.readTree(path.body()).get("error").asText().contains("GET /api/plan"), path.body());

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/plan"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertTrue(json.readTree(post.body()).get("error").asText().startsWith("the API is read-only"), post.body());
    }

    @Test
    void aBusyPortIsRefusedWithASentenceNamingIt() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> HttpApi.start(vertx,
                ApiEndpoint.loopback(api.port()), null).toCompletionStage().toCompletableFuture().get());
        assertTrue(e.getCause().getMessage().startsWith("the balancer API cannot listen on 127.0.0.1:" + api.port()),
                e.getCause().getMessage());
    }
}
