package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.SetAutomation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API's writes end to end: each becomes a control message on the real broker, under the
 * same key the CLI uses, and the balancer acts on it as on the CLI's; its reads then show the effect.
 */
@ExtendWith(Broker.class)
class ApiControlTest {
    private static final String TOKEN = "api-control-test-token-0123";
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private ClusterFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) fx.close();
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.apiUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (!method.equals("GET")) {
            b.header("Authorization", "Bearer " + TOKEN);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = call("GET", path, null);
        assertEquals(200, r.statusCode(), r.body());
        return json.readTree(r.body());
    }

    /**
     * host-1 runs six 0.95-core guests on 8 CPUs (overloaded), host-2 is idle, host-3 runs two calm
     * guests; the balancer starts in manual automation, so nothing moves until the API says so.
     */
    @Test
    void automationMaintenanceAndApprovalsFromTheApiReachTheBalancerThroughKafka(EmbeddedKafka broker) throws Exception {
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        for (int h = 1; h <= 3; h++) {
            b.host(HostSpec.of("host-" + h).withCpus(8).withMemoryMiB(32768));
        }
        for (int i = 1; i <= 6; i++) {
            b.guest("host-1", GuestSpec.of("hot-" + i).withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.95));
        }
        b.guest("host-3", GuestSpec.of("calm-1").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        b.guest("host-3", GuestSpec.of("calm-2").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        fx = new ClusterFixture(broker, b.build(), ClusterFixture.testSettings().withAutomation(AutomationLevel.MANUAL),
                ApiEndpoint.loopback(0).withToken(TOKEN));
        await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/status").get("hosts").asInt() == 3
                && get("/api/status").get("hostsStale").asInt() == 0);
        assertEquals("manual", get("/api/automation").get("level").asText());

        // Partial: maintenance runs by itself, balancing is only recommended.
        HttpResponse<String> level = call("PUT", "/api/automation", "{\"level\": \"partial\"}");
        assertEquals(202, level.statusCode(), level.body());
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/automation").get("level").asText().equals("partial"));
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.tap.envelopes(fx.topics.control(), SetAutomation.class)
                .findFirst().isPresent());
        Envelope setLevel = fx.tap.envelopes(fx.topics.control(), SetAutomation.class).findFirst().orElseThrow();
        assertEquals("operator:api", setLevel.source());
        assertEquals(new SetAutomation(AutomationLevel.PARTIAL), setLevel.body());
        assertTrue(fx.tap.all().stream().anyMatch(s -> s.topic().equals(fx.topics.control())
                && s.key().equals("automation")), "SetAutomation is keyed as the CLI keys it");

        HttpResponse<String> enter = call("POST", "/api/maintenance/host-3/enter", "{\"reason\": \"new DIMMs\"}");
        assertEquals(202, enter.statusCode(), enter.body());
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            JsonNode host3 = get("/api/hosts/host-3");
            assertEquals("IN_MAINTENANCE", host3.get("host").get("maintenance").asText(), host3.toString());
            assertEquals(0, host3.get("guests").size(), host3.toString());
        });
        assertEquals("new DIMMs", fx.tap.bodies(fx.topics.control(), EnterMaintenance.class).get(0).reason());
        assertTrue(get("/api/migrations").get("recent").size() >= 2, "the two calm guests left host-3");

        // host-1's relief waits for approval; the API lists it and approves it.
        await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/recommendations").size() > 0);
        JsonNode plan = get("/api/recommendations").get(0);
        assertEquals("host-1", plan.get("moves").get(0).get("source").asText(), plan.toString());
        HttpResponse<String> approve = call("POST", "/api/recommendations/" + plan.get("planId").asText() + "/approve", null);
        assertEquals(202, approve.statusCode(), approve.body());
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.tap.bodies(fx.topics.control(), ApprovePlan.class)
                .equals(List.of(new ApprovePlan(plan.get("planId").asText()))));
        List<String> approvedGuests = plan.get("moves").findValuesAsText("guest");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode recent = get("/api/migrations").get("recent");
            List<String> done = recent.findValuesAsText("guest");
            assertTrue(done.containsAll(approvedGuests), "approved " + approvedGuests + ", ended: " + recent
                    + "; decisions: " + get("/api/decisions"));
        });

        HttpResponse<String> exit = call("POST", "/api/maintenance/host-3/exit", null);
        assertEquals(202, exit.statusCode(), exit.body());
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/hosts/host-3").get("host").get("maintenance").asText()
                .equals("ACTIVE"));
    }
}
