package org.virtbalancer.balancer.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.virtbalancer.balancer.kafka.ControlWriter;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.BalancerSettings;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.balancer.replay.VirtualClock;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.balancer.core.RequestStatus;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.GuestState;
import org.virtbalancer.protocol.Inventory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
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
    static final String TOKEN = "a-token-of-24-characters";
    private Vertx vertx;
    private HttpApi api;
    private BalancerCore core;
    private final List<Envelope> sent = new CopyOnWriteArrayList<>();
    /** When set, every control write fails with this outcome instead of being recorded. */
    private volatile ControlWriter.Outcome notWritten;

    /** h1 at 15 of 16 cores with two 7-core guests; h2 idle; h3 in maintenance. */
    @BeforeEach
    void start() throws Exception {
        VirtualClock clock = VirtualClock.atStart();
        core = new BalancerCore(BalancerSettings.defaults(), clock);
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
        api = start(ApiEndpoint.loopback(0).withToken(TOKEN));
    }

    /** The API over the core, recording control messages instead of writing them to Kafka. */
    private HttpApi start(ApiEndpoint endpoint) throws Exception {
        return HttpApi.start(vertx, endpoint, new BalancerQueries() {
            @Override
            public Future<Preview> preview() {
                return Future.succeededFuture(core.preview());
            }

            @Override
            public Future<Explanation> explain(String guest, Optional<String> target) {
                return Future.succeededFuture(target.map(t -> core.explain(guest, t)).orElseGet(() -> core.explain(guest)));
            }

            @Override
            public Future<Explanation> explain(String guest, Optional<String> target, MigrationMode mode,
                                               MigrationOptions options) {
                return Future.succeededFuture(core.explain(guest, target, mode, options));
            }

            @Override
            public Future<Optional<String>> check(RequestMigration request) {
                return Future.succeededFuture(core.refusalOf(request));
            }

            @Override
            public Future<Optional<RequestStatus>> request(String requestId) {
                return Future.succeededFuture(core.requestStatus(requestId));
            }

            @Override
            public ClusterSnapshot snapshot() {
                return core.snapshot();
            }

            @Override
            public Instance instance() {
                return new Instance("b1", "LEADER", 3, "3 members");
            }

            @Override
            public Future<Envelope> control(Message control, String who) {
                if (notWritten != null) {
                    return Future.failedFuture(new ControlWriter.NotConfirmed(notWritten));
                }
                Envelope env = Envelope.of("operator:" + who, control, 1L);
                sent.add(env);
                return Future.succeededFuture(env);
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

    private HttpResponse<String> write(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String error(HttpResponse<String> r) throws Exception {
        return json.readTree(r.body()).get("error").asText();
    }

    @Test
    void statusHostsGuestsAndMaintenanceComeFromTheSnapshot() throws Exception {
        JsonNode status = json.readTree(get("/api/status").body());
        assertEquals("b1", status.get("balancer").get("id").asText());
        assertEquals("LEADER", status.get("balancer").get("role").asText());
        assertEquals("full", status.get("automation").asText());
        assertEquals(3, status.get("hosts").asInt());
        assertEquals(2, status.get("guests").asInt());
        assertEquals(1, status.get("hostsInMaintenance").asInt());

        JsonNode hosts = json.readTree(get("/api/hosts").body());
        assertEquals(List.of("h1", "h2", "h3"), names(hosts, "host"));
        assertEquals(15 / 16.0, hosts.get(0).get("cpuLoad").asDouble(), 0.01);
        assertEquals("ENTERING", hosts.get(2).get("maintenance").asText());

        JsonNode h1 = json.readTree(get("/api/hosts/h1").body());
        assertEquals(List.of("web-1", "web-2"), names(h1.get("guests"), "guest"));
        assertEquals(7.0, h1.get("guests").get(0).get("cpuCores").asDouble(), 0.001);

        assertEquals(List.of("web-1", "web-2"), names(json.readTree(get("/api/guests").body()), "guest"));
        assertEquals(List.of(), names(json.readTree(get("/api/guests?host=h2").body()), "guest"));
        HttpResponse<String> noHost = get("/api/guests?host=h9");
        assertEquals(404, noHost.statusCode());
        assertTrue(error(noHost).startsWith("no host h9 is known to the balancer"), noHost.body());

        JsonNode drain = json.readTree(get("/api/maintenance/h3").body());
        assertEquals("ENTERING", drain.get("state").asText());
        assertEquals("ACTIVE", json.readTree(get("/api/maintenance/h2").body()).get("state").asText());
        assertEquals(1, json.readTree(get("/api/maintenance").body()).size());
        assertEquals("full", json.readTree(get("/api/automation").body()).get("level").asText());
        JsonNode migrations = json.readTree(get("/api/migrations").body());
        assertEquals(0, migrations.get("inFlight").size());
        assertEquals(0, migrations.get("recent").size());
    }

    @Test
    void writesWithTheTokenBecomeControlMessages() throws Exception {
        HttpResponse<String> enter = write("POST", "/api/maintenance/h2/enter", "{\"reason\": \"new DIMMs\"}", TOKEN);
        assertEquals(202, enter.statusCode(), enter.body());
        assertEquals("EnterMaintenance", json.readTree(enter.body()).get("sent").asText());
        assertEquals(new EnterMaintenance("h2", "new DIMMs"), sent.get(0).body());
        assertEquals("operator:api", sent.get(0).source());

        assertEquals(202, write("POST", "/api/maintenance/h3/exit", null, TOKEN).statusCode());
        assertEquals(new ExitMaintenance("h3"), sent.get(1).body());

        assertEquals(202, write("PUT", "/api/automation", "{\"level\": \"Manual\"}", TOKEN).statusCode());
        assertEquals(new SetAutomation(AutomationLevel.MANUAL), sent.get(2).body());
        assertEquals(3, sent.size());
    }

    @Test
    void aRecommendedPlanIsListedAndCanBeApproved() throws Exception {
        core.onControl(new SetAutomation(AutomationLevel.MANUAL));
        core.tick();
        JsonNode pending = json.readTree(get("/api/recommendations").body());
        assertEquals(1, pending.size(), pending.toString());
        String plan = pending.get(0).get("planId").asText();
        assertEquals("h1", pending.get(0).get("moves").get(0).get("source").asText());
        assertEquals(1, json.readTree(get("/api/status").body()).get("recommendationsPending").asInt());

        HttpResponse<String> r = write("POST", "/api/recommendations/" + plan + "/approve", null, TOKEN);
        assertEquals(202, r.statusCode(), r.body());
        assertEquals(new ApprovePlan(plan), sent.get(0).body());
    }

    @Test
    void badWritesAreRefusedWithASentenceAndSendNothing() throws Exception {
        HttpResponse<String> none = write("POST", "/api/maintenance/h2/enter", null, null);
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertTrue(error(none).startsWith("writes need the API token"), none.body());
        assertEquals(401, write("POST", "/api/maintenance/h2/enter", null, "not-the-token-at-all-no").statusCode());

        HttpResponse<String> unknown = write("POST", "/api/maintenance/h9/enter", null, TOKEN);
        assertEquals(404, unknown.statusCode());
        assertTrue(error(unknown).contains("known hosts: h1, h2, h3"), unknown.body());

        HttpResponse<String> level = write("PUT", "/api/automation", "{\"level\": \"yolo\"}", TOKEN);
        assertEquals(400, level.statusCode());
        assertEquals("'yolo' is not an automation level; choose one of manual, partial, full", error(level));
        HttpResponse<String> notJson = write("PUT", "/api/automation", "level=full", TOKEN);
        assertEquals(400, notJson.statusCode());
        assertTrue(error(notJson).startsWith("the request body is not JSON"), notJson.body());

        HttpResponse<String> plan = write("POST", "/api/recommendations/plan-9/approve", null, TOKEN);
        assertEquals(404, plan.statusCode());
        assertTrue(error(plan).startsWith("no plan plan-9 is waiting for approval"), plan.body());
        assertEquals(List.of(), sent);
    }

    @Test
    void aBodyThatCannotBeReadIsRefusedWithASentence() throws Exception {
        // Found by fuzzing: a form body that does not decode got a bare "Bad Request" from Vert.x.
        String[][] cases = {
                {"application/x-www-form-urlencoded", "reason=%zz%"},
                {"multipart/form-data; boundary=x", "{\"reason\": \"x\"}"},
                {"multipart/form-data", "--x\r\nbroken"},
                {"application/json; charset=utf-16", "{\"reason\": \"x\"}"},
                {"text/plain", "\u0000\uFFFF"},
                {"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"},
                {"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"../../x\"\r\n\r\nb\r\n--x--\r\n"},
                {"application/x-www-form-urlencoded", "a=1&a=2&%=&=&&"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/maintenance/h2/enter"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", c[0])
                    .POST(HttpRequest.BodyPublishers.ofString(c[1])).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 400) {
                assertTrue(r.statusCode() < 500, c[0] + ": " + r.statusCode() + " " + r.body());
                assertTrue(r.body().contains("\"error\"") && !error(r).isBlank(), c[0] + ": " + r.body());
            }
        }
    }

    @Test
    void aMultipartFileIsNeverWrittenToDisk() throws Exception {
        // Found by fuzzing: each multipart file landed in ./file-uploads (and stayed), even without the token.
        java.nio.file.Path uploads = java.nio.file.Path.of("file-uploads");
        long before = java.nio.file.Files.isDirectory(uploads) ? countFiles(uploads) : 0;
        String body = "--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"junk.bin\"\r\n\r\n" + "j".repeat(1000)
                + "\r\n--x--\r\n";
        for (String token : new String[]{null, "not-the-token-at-all-no", TOKEN}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.url() + "/api/maintenance/h2/enter"))
                    .header("Content-Type", "multipart/form-data; boundary=x").POST(HttpRequest.BodyPublishers.ofString(body));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() < 500, r.body());
        }
        long after = java.nio.file.Files.isDirectory(uploads) ? countFiles(uploads) : 0;
        assertEquals(before, after, "files written to " + uploads.toAbsolutePath());
    }

    private static long countFiles(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir)) {
            return files.count();
        }
    }

    @Test
    void withoutATokenTheApiIsReadOnly() throws Exception {
        api.close().toCompletionStage().toCompletableFuture().get();
        api = start(ApiEndpoint.loopback(0));
        assertEquals(200, get("/api/status").statusCode());
        HttpResponse<String> r = write("POST", "/api/maintenance/h2/enter", null, TOKEN);
        assertEquals(403, r.statusCode());
        assertTrue(error(r).startsWith("this balancer's API takes no writes: start it with --api-token-file"), r.body());
        assertEquals(List.of(), sent);
    }

    @Test
    void aFailedWriteAnswers503AndAnUnconfirmedOne504EachWithTheWritersSentence() throws Exception {
        String failed = "Kafka answers at 127.0.0.1:9092 (only broker 1 of the 3 registered answers; no active"
                + " controller) but partition vb.control-0 has 1 in-sync replica of the 2 it needs"
                + " (min.insync.replicas=2): start the brokers that are down (2, 3); nothing was written";
        notWritten = new ControlWriter.Failed(true, failed, new RuntimeException("timeout"));
        HttpResponse<String> r = write("POST", "/api/maintenance/h2/enter", null, TOKEN);
        assertEquals(503, r.statusCode(), r.body());
        assertEquals(failed, error(r));
        assertEquals(List.of("error"), fieldNames(r), "the API's error shape");

        String unconfirmed = "Kafka took the write but did not confirm it within 30 s; it may still take effect when"
                + " Kafka recovers — Kafka answers at …; check with vbal automation get";
        notWritten = new ControlWriter.Unconfirmed(unconfirmed, new RuntimeException("timeout"));
        r = write("PUT", "/api/automation", "{\"level\": \"manual\"}", TOKEN);
        assertEquals(504, r.statusCode(), r.body());
        assertEquals(unconfirmed, error(r));
        assertEquals(List.of("error"), fieldNames(r), "the API's error shape");
        assertEquals(List.of(), sent);
    }

    private List<String> fieldNames(HttpResponse<String> r) throws Exception {
        List<String> names = new java.util.ArrayList<>();
        json.readTree(r.body()).fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void readsNeedTheTokenWhenTheyAreNotOpen() throws Exception {
        api.close().toCompletionStage().toCompletableFuture().get();
        api = start(new ApiEndpoint("127.0.0.1", 0, TOKEN, false));
        HttpResponse<String> r = get("/api/hosts");
        assertEquals(401, r.statusCode());
        assertTrue(error(r).startsWith("reads on this API need the token"), r.body());
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/hosts"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ApiEndpoint("0.0.0.0", 8484, "", false));
        assertTrue(e.getMessage().contains("would need a token for reads but has none"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ApiEndpoint.loopback(0).withToken("short"));
    }

    @Test
    void eventsStreamTheLiveViewAtOnce() throws Exception {
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(api.url()
                + "/api/events")).build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        try (java.util.stream.Stream<String> lines = r.body()) {
            java.util.Iterator<String> it = lines.iterator();
            String event = "";
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    assertEquals("snapshot", event);
                    JsonNode view = json.readTree(line.substring(6));
                    assertEquals(3, view.get("hosts").size());
                    assertEquals(List.of("web-1", "web-2"), names(view.get("guests").get("h1"), "guest"));
                    assertEquals("b1", view.get("status").get("balancer").get("id").asText());
                    assertTrue(view.get("guestsListed").asBoolean());
                    break;
                }
            }
        }
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }

    @Test
    void planIsTheMovesTheBalancerWouldMakeNowAsJson() throws Exception {
        HttpResponse<String> r = get("/api/plan");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(""), "no other site may frame the API or page");
        assertEquals("frame-ancestors 'none'", r.headers().firstValue("Content-Security-Policy").orElse(""));
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
    void anOperatorsMigrationIsCheckedThenWrittenForTheLeaderAndFollowedByItsId() throws Exception {
        String move = "{\"guest\": \"web-1\", \"target\": \"h2\", \"live\": true, \"persistent\": true,"
                + " \"undefinesource\": true, \"bandwidth\": 100, \"requestedBy\": \"vbal on ops-1\"}";
        assertEquals(401, write("POST", "/api/migrations", move, null).statusCode());
        HttpResponse<String> half = write("POST", "/api/migrations", "{\"guest\": \"web-1\", \"target\": \"h2\","
                + " \"live\": true, \"undefinesource\": true}", TOKEN);
        assertEquals(400, half.statusCode());
        assertTrue(json.readTree(half.body()).get("error").asText().contains("both definitions are lost"), half.body());
        HttpResponse<String> typo = write("POST", "/api/migrations", "{\"guest\": \"web-1\", \"target\": \"h2\","
                + " \"livee\": true}", TOKEN);
        assertEquals(400, typo.statusCode());
        assertTrue(json.readTree(typo.body()).get("error").asText().startsWith("'livee' is not an option of virsh migrate"));
        assertEquals(404, write("POST", "/api/migrations", "{\"guest\": \"nobody\", \"target\": \"h2\"}", TOKEN)
                .statusCode());
        HttpResponse<String> refused = write("POST", "/api/migrations", move.replace("h2", "h3"), TOKEN);
        assertEquals(409, refused.statusCode());
        assertEquals("web-1 cannot migrate to h3: 1 rule fails: in maintenance (h3 is entering maintenance and takes no guests.)"
                + "", json.readTree(refused.body()).get("error").asText());
        assertEquals(List.of(), sent, "nothing refused reaches Kafka");

        HttpResponse<String> accepted = write("POST", "/api/migrations", move, TOKEN);
        assertEquals(202, accepted.statusCode(), accepted.body());
        String id = json.readTree(accepted.body()).get("requestId").asText();
        assertEquals("/api/migrations/" + id, json.readTree(accepted.body()).get("status").asText());
        RequestMigration request = (RequestMigration) sent.get(0).body();
        assertEquals(id, request.requestId());
        assertEquals(MigrationMode.LIVE, request.mode());
        assertEquals(100, request.options().bandwidthMiBps());
        assertEquals("vbal on ops-1", request.requestedBy());

        assertEquals(404, get("/api/migrations/" + id).statusCode(), "not read back from Kafka yet");
        core.onControl(request);
        assertEquals("WAITING", json.readTree(get("/api/migrations/" + id).body()).get("state").asText());
        core.tick();
        JsonNode running = json.readTree(get("/api/migrations/" + id).body());
        assertEquals("RUNNING", running.get("state").asText());
        assertEquals("h1", running.get("source").asText());
    }

    @Test
    void explainTakesVirshsOptionsAndAnswersForThatKindOfMove() throws Exception {
        JsonNode offline = json.readTree(get("/api/explain/web-1?offline=true&persistent=true").body());
        assertEquals(0, offline.get("hosts").findValues("eligible").stream().filter(JsonNode::asBoolean).count());
        assertTrue(offline.get("summary").asText().startsWith("0/2 hosts can take web-1"), offline.toString());
        JsonNode live = json.readTree(get("/api/explain/web-1?live=true&persistent=true&undefinesource=true").body());
        assertEquals("1/2 hosts can take web-1: 1 in maintenance", live.get("summary").asText());
        HttpResponse<String> bad = get("/api/explain/web-1?undefinesource=true");
        assertEquals(400, bad.statusCode());
    }

    @Test
    void unknownGuestsHostsAndPathsAre404WithASentenceAndWrongMethodsAre405() throws Exception {
        HttpResponse<String> guest = get("/api/explain/nobody");
        assertEquals(404, guest.statusCode());
        assertTrue(json.readTree(guest.body()).get("error").asText().startsWith("nobody is not in any host's inventory;"),
                guest.body());

        HttpResponse<String> host = get("/api/explain/web-1?target=h9");
        assertEquals(404, host.statusCode());
        assertTrue(json.readTree(host.body()).get("error").asText().startsWith("h9 is not a known host"), host.body());

        HttpResponse<String> path = get("/api/nothing");
        assertEquals(404, path.statusCode());
        assertTrue(json.readTree(path.body()).get("error").asText().contains("GET /api/status"), path.body());

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/plan"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertTrue(json.readTree(post.body()).get("error").asText().startsWith("POST is not allowed on /api/plan"),
                post.body());
    }

    @Test
    void aBusyPortIsRefusedWithASentenceNamingIt() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> HttpApi.start(vertx,
                ApiEndpoint.loopback(api.port()), null).toCompletionStage().toCompletableFuture().get());
        assertTrue(e.getCause().getMessage().startsWith("the balancer API cannot listen on 127.0.0.1:" + api.port()),
                e.getCause().getMessage());
    }
}
