package org.virtbalancer.deploy.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped monitoring files as Grafana and Prometheus read them: the dashboard's rows, panels,
 * data source and queries (valid PromQL; that its metrics exist is {@link MetricsExpositionTest}'s),
 * and the scrape configuration through {@code promtool check config}.
 */
class GrafanaDashboardTest {
    private static final Path PROMETHEUS_CONFIG = Path.of("prometheus", "prometheus.yml");

    /** Every panel's PromQL expressions (rows' nested panels included) and the template variables' queries, by title. */
    static Map<String, List<String>> queries(JsonNode dashboard) {
        Map<String, List<String>> byPanel = new LinkedHashMap<>();
        collect(dashboard.path("panels"), byPanel);
        for (JsonNode v : dashboard.path("templating").path("list")) {
            String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
            if (v.path("type").asText().equals("query")) {
                // label_values(metric, label): the metric is the first argument.
                byPanel.put("variable " + v.path("name").asText(), List.of(q.replaceAll("label_values\\(([^,]+),.*",
                        "$1")));
            }
        }
        return byPanel;
    }

    private static void collect(JsonNode panels, Map<String, List<String>> byPanel) {
        for (JsonNode p : panels) {
            collect(p.path("panels"), byPanel);
            List<String> exprs = new ArrayList<>();
            p.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
            if (!p.path("type").asText().equals("row")) {
                byPanel.put(p.path("title").asText(), exprs);
            }
        }
    }

    @Test
    void theDashboardHasItsRowsAndEveryPanelQueriesPrometheusThroughTheDataSourceVariable() throws Exception {
        JsonNode d = new ObjectMapper().readTree(MetricsExpositionTest.DASHBOARD.toFile());
        assertEquals("virt-balancer", d.path("uid").asText());
        List<String> rows = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : d.path("panels")) {
            assertTrue(ids.add(p.path("id").asInt()), "panel id " + p.path("id") + " twice");
            if (p.path("type").asText().equals("row")) {
                rows.add(p.path("title").asText());
                continue;
            }
            assertEquals("${DS_PROMETHEUS}", p.path("datasource").path("uid").asText(), p.path("title").asText());
            assertFalse(p.path("targets").isEmpty(), p.path("title") + " has no query");
            for (JsonNode t : p.path("targets")) {
                assertFalse(t.path("expr").asText().isBlank(), p.path("title") + " has an empty query");
            }
            JsonNode pos = p.path("gridPos");
            assertTrue(pos.path("x").asInt() + pos.path("w").asInt() <= 24, p.path("title") + " is wider than the grid");
        }
        assertEquals(List.of("Cluster overview", "Hosts", "Migrations", "Maintenance", "Agents and hypervisor calls",
                "Balancer health"), rows);
        JsonNode ds = d.path("templating").path("list").get(0);
        assertEquals("DS_PROMETHEUS", ds.path("name").asText());
        assertEquals("datasource", ds.path("type").asText());
        assertEquals("prometheus", ds.path("query").asText());
    }

    @Test
    void metricNamesAreReadOutOfPromQlWithoutFunctionsLabelsOrWindows() {
        assertEquals(Set.of("vb_migration_duration_seconds_bucket"), PromQl.metricNames(
                "histogram_quantile(0.99, sum by (le, call) (rate(vb_migration_duration_seconds_bucket{call!~\"a|b\"}[$__rate_interval])))"));
        assertEquals(Set.of("vb_host_overloaded"), PromQl.metricNames("count(max by (host) (vb_host_overloaded) == 1) or vector(0)"));
        assertEquals(Set.of("a_total", "b"), PromQl.metricNames("sum without (x) (a_total offset 5m) / on(instance) group_left b > 1e9"));
    }

    /**
     * Every panel's query parses as PromQL: written as recording rules (Grafana's variables replaced
     * by what they stand for) and read by {@code promtool check rules}.
     */
    @Test
    void everyPanelQueryIsValidPromQl(@TempDir Path dir) throws Exception {
        JsonNode d = new ObjectMapper().readTree(MetricsExpositionTest.DASHBOARD.toFile());
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (Map.Entry<String, List<String>> panel : queries(d).entrySet()) {
            if (panel.getKey().startsWith("variable ")) {
                continue;
            }
            for (String expr : panel.getValue()) {
                String promql = expr.replace("$__rate_interval", "5m").replace("$host", ".*");
                rules.append("      - record: dashboard:query_").append(++n).append("\n        expr: '")
                        .append(promql.replace("'", "''")).append("'\n");
            }
        }
        Path file = Files.writeString(dir.resolve("dashboard-rules.yml"), rules);
        Process p = new ProcessBuilder("promtool", "check", "rules", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + "\n" + rules);
        assertTrue(out.contains("SUCCESS: " + n + " rules found"), out);
    }

    @Test
    void theScrapeConfigurationPassesPromtool() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "config", PROMETHEUS_CONFIG.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("promtool is not installed: run deploy/bin/install-prerequisites test", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("SUCCESS"), out);
    }
}
