package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.metrics.Exposition;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbal demo} as a user runs it, in its own JVM: it prints where its page, API and metrics
 * are, they answer (the page's buttons with the printed token; its metrics pass {@code promtool check metrics}),
 * and it ends by itself.
 */
class DemoCommandTest {
    private static final Pattern DASHBOARD = Pattern.compile("dashboard: (http://127\\.0\\.0\\.1:\\d+/ui/)#token=(\\S+)");
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDemoPrintsItsPageApiAndMetricsAddressesAndTheyAnswer() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "demo-command").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        // Its own temporary folder: the running demo's address file must not reach other tests' vbal commands.
        try (VbalProcess demo = VbalProcess.start("demo", List.of("-Xmx768m", "-Djava.io.tmpdir=" + run),
                run.resolve("demo.log"), List.of("demo", "--for", "60s", "--port", "0", "--http-port", "0", "--plain"))) {
            await().atMost(Duration.ofSeconds(120)).until(() -> demo.firstLine("dashboard: ") != null || !demo.isAlive());
            VbalProcess.Line line = demo.firstLine("dashboard: ");
            assertNotNull(line, demo.output());
            Matcher m = DASHBOARD.matcher(line.text());
            assertTrue(m.lookingAt(), line.text());
            String page = m.group(1);
            String token = m.group(2);
            String api = page.substring(0, page.length() - "/ui/".length());
            assertNotNull(demo.firstLine("api: " + api), demo.output());
            assertNotNull(demo.firstLine("metrics: " + api + "/metrics"), demo.output());

            HttpResponse<String> html = send(HttpRequest.newBuilder(URI.create(page)));
            assertEquals(200, html.statusCode(), html.body());
            assertTrue(html.headers().firstValue("content-type").orElse("").startsWith("text/html"));
            assertTrue(html.body().contains("<html"), html.body());

            await().atMost(Duration.ofSeconds(60)).until(() ->
                    json.readTree(send(HttpRequest.newBuilder(URI.create(api + "/api/status"))).body()).get("hosts").asInt() > 0);

            HttpRequest.Builder setLevel = HttpRequest.newBuilder(URI.create(api + "/api/automation"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"level\": \"full\"}"));
            assertEquals(401, send(setLevel).statusCode(), "writes without the token are refused");
            HttpResponse<String> ok = send(HttpRequest.newBuilder(URI.create(api + "/api/automation"))
                    .header("Authorization", "Bearer " + token)
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"level\": \"full\"}")));
            assertEquals(202, ok.statusCode(), ok.body());
            JsonNode sent = json.readTree(ok.body());
            assertEquals("SetAutomation", sent.get("sent").asText());

            // What it serves at /metrics (agents and balancer of one JVM in one registry) passes promtool once a
            // guest has migrated, so the histograms hold data.
            AtomicReference<Exposition> scraped = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
                scraped.set(Exposition.scrape(api + "/metrics"));
                return scraped.get().sum("vb_migrations_succeeded_total") >= 1
                        && scraped.get().sum("vb_agent_migrations_finished_total") >= 1;
            });
            Path file = scraped.get().save(run, "demo.prom");
            Exposition.Result checked = Exposition.promtool(file);
            assertTrue(checked.clean(), "promtool check metrics on " + file + " exited " + checked.exit() + ":\n"
                    + checked.output());

            assertTrue(demo.process().waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the demo ends after --for: "
                    + demo.output());
            assertEquals(0, demo.process().exitValue(), demo.output());
            assertTrue(demo.lines().stream().noneMatch(l -> l.text().contains("Exception")), demo.output());
        }
    }
}
