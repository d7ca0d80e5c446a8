package org.virtbalancer.deploy.metrics;

import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.cli.VbalProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbal demo} prints where its metrics are, and what it serves there (agents and balancer of
 * one JVM in one registry) passes {@code promtool check metrics} once it has migrated a guest.
 */
class DemoMetricsTest {
    @Test
    void theDemoPrintsItsMetricsAddressAndServesAgentAndBalancerMetricsThatPassPromtool() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "metrics-exposition").toAbsolutePath()
                .resolve("demo-" + System.currentTimeMillis()));
        // Its own temporary folder: the running demo's address file must not reach other tests' vbal commands.
        try (VbalProcess demo = VbalProcess.start("demo", List.of("-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + run), run.resolve("demo.log"), List.of("demo", "--for", "150s", "--plain",
                "--port", "0", "--http-port", "0"))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> demo.firstLine("metrics: ") != null || !demo.isAlive());
            VbalProcess.Line line = demo.firstLine("metrics: http://");
            assertNotNull(line, demo::output);
            assertNotNull(demo.firstLine("api: http://"), demo::output);
            String url = line.text().substring("metrics: ".length()).split("\\s+")[0];
            assertTrue(url.endsWith("/metrics"), line.text());

            AtomicReference<Exposition> scraped = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
                scraped.set(Exposition.scrape(url));
                return scraped.get().sum("vb_migrations_succeeded_total") >= 1
                        && scraped.get().sum("vb_agent_migrations_finished_total") >= 1;
            });
            Path file = scraped.get().save(run, "demo.prom");
            Exposition.Result result = Exposition.promtool(file);
            assertTrue(result.clean(), "promtool check metrics on " + file + " exited " + result.exit() + ":\n"
                    + result.output());
        }
    }
}
