package org.virtbalancer.deploy.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.cli.VbalProcess;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real {@code /metrics} of a running {@code vbal balancer} and a running {@code vbal agent}
 * (a fleet of three simulated hosts, one of them overloaded), each in its own JVM on a real
 * broker, scraped once a migration has succeeded and a bad message was dead-lettered: both must
 * pass {@code promtool check metrics}, and every metric the Grafana dashboard queries must be
 * among them. The scrapes stay in {@code deploy/target/metrics-exposition/run-*}.
 */
@ExtendWith(Broker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsExpositionTest {
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    static final Path DASHBOARD = Path.of("grafana", "virt-balancer.json");

    private Path run;
    private Topics topics;
    private VbalProcess agent;
    private VbalProcess balancer;
    private Exposition balancerMetrics;
    private Exposition agentMetrics;

    @BeforeAll
    void runABalancerAndAnAgentUntilAMigrationSucceeded(EmbeddedKafka broker) throws Exception {
        run = Files.createDirectories(Path.of("target", "metrics-exposition").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        topics = new Topics("mx" + UUID.randomUUID().toString().substring(0, 8) + ".");
        KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        agent = VbalProcess.start("agent", JVM, run.resolve("agent.log"), List.of("agent", "--driver", "simulated",
                "--host-count", "3", "--host-prefix", "mx", "--guests-per-host", "4", "--interval", "1s",
                "--overload", "mx1@2s", "--migration-speedup", "20", "--metrics-port", "0",
                "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(),
                "--state-dir", run.resolve("agents").toString()));
        balancer = VbalProcess.start("balancer", JVM, run.resolve("balancer.log"), List.of("balancer", "--id", "mx",
                "--bootstrap", kafka.bootstrapServers(), "--prefix", topics.prefix(), "--http-port", "0", "--tick", "250ms"));
        within(Duration.ofSeconds(90), () -> (agent.firstLine("metrics: ") != null && balancer.firstLine("metrics: ") != null)
                || !agent.isAlive() || !balancer.isAlive());
        assertTrue(agent.isAlive() && balancer.isAlive(), this::diagnosis);
        String agentUrl = url(agent);
        String balancerUrl = url(balancer);

        // A message that is not JSON: the balancer dead-letters it, so its dead-letter series exists.
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new HashMap<>(kafka.producer("mx-test")))) {
            producer.send(new ProducerRecord<>(topics.hostLoad(), "mx1", "not json".getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }

        // Until a migration has succeeded (histograms with data) and each JVM has had a GC pause.
        AtomicReference<Exposition> b = new AtomicReference<>();
        AtomicReference<Exposition> a = new AtomicReference<>();
        within(Duration.ofSeconds(120), () -> {
            b.set(Exposition.scrape(balancerUrl));
            a.set(Exposition.scrape(agentUrl));
            return b.get().sum("vb_migrations_succeeded_total") >= 1
                    && b.get().sum("vb_migration_duration_seconds_count") >= 1
                    && b.get().sum("vb_dead_letters_total") >= 1
                    && a.get().sum("vb_agent_migrations_finished_total", "outcome=\"succeeded\"") >= 1
                    && b.get().names().contains("jvm_gc_pause_seconds_count")
                    && a.get().names().contains("jvm_gc_pause_seconds_count");
        });
        balancerMetrics = b.get();
        agentMetrics = a.get();
        balancerMetrics.save(run, "balancer.prom");
        agentMetrics.save(run, "agent.prom");
    }

    @AfterAll
    void stop() {
        if (agent != null) agent.close();
        if (balancer != null) balancer.close();
    }

    private static String url(VbalProcess p) {
        String line = p.firstLine("metrics: ").text().substring("metrics: ".length()).trim();
        return line.split("\\s+")[0];
    }

    private void within(Duration atMost, java.util.concurrent.Callable<Boolean> condition) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            fail(e.getMessage() + "\n" + diagnosis());
        }
    }

    private String diagnosis() {
        return (agent == null ? "" : agent.output()) + (balancer == null ? "" : balancer.output()) + "logs: " + run;
    }

    private void assertPromtoolFindsNoProblem(String file) throws Exception {
        Exposition.Result result = Exposition.promtool(run.resolve(file));
        assertTrue(result.clean(), "promtool check metrics on " + run.resolve(file) + " exited " + result.exit()
                + ":\n" + result.output());
    }

    @Test
    void theBalancersMetricsPassPromtoolAndDescribeTheClusterAndTheMigration() throws Exception {
        assertPromtoolFindsNoProblem("balancer.prom");
        Exposition m = balancerMetrics;
        assertTrue(m.contentType().startsWith("text/plain; version=0.0.4"), m.contentType());
        for (String host : List.of("mx1", "mx2", "mx3")) {
            assertTrue(m.value("vb_host_load_ratio{host=\"" + host + "\",resource=\"cpu\"}").isPresent(), host);
            assertEquals(1, m.sum("vb_host_maintenance_state", "host=\"" + host + "\"", "state=\"active\""));
        }
        assertEquals(12, m.sum("vb_host_guests"), "three hosts of four guests, wherever they are now");
        assertEquals(12, m.sum("vb_cluster_guests"));
        assertEquals(3, m.sum("vb_cluster_hosts"));
        assertEquals(1, m.sum("vb_balancer_role", "role=\"leader\""));
        assertEquals(1, m.sum("vb_balancer_elections_total"));
        assertTrue(m.sum("vb_migrations_started_total", "purpose=\"balance\"") >= 1);
        assertTrue(m.sum("vb_migration_transferred_bytes_sum") > 0);
        assertTrue(m.sum("vb_plan_duration_seconds_count") > 0);
        assertEquals(1, m.sum("vb_dead_letters_total", "reason=\"invalid\"", "topic=\"" + topics.hostLoad() + "\""));
        assertTrue(m.value("vb_consumer_lag_records{topic=\"" + topics.prefix() + "commands.*\"}").isPresent());
        for (String reason : List.of("timeout", "producer_state", "other")) {
            assertTrue(m.value("vb_balancer_kafka_send_failures_total{reason=\"" + reason + "\",topic=\"" + topics.control()
                    + "\"}").isPresent(), reason);
        }
        assertEquals(0, m.sum("vb_balancer_kafka_producer_replaced_total"));
        assertEquals(0, m.sum("vb_balancer_kafka_unreachable_since_seconds", "client=\"mx\""));
        assertFalse(m.names().stream().anyMatch(n -> n.startsWith("vb_agent_")), "a balancer alone runs no agent");
    }

    @Test
    void theAgentsMetricsPassPromtoolAndDescribeItsHostsAndHypervisorCalls() throws Exception {
        assertPromtoolFindsNoProblem("agent.prom");
        Exposition m = agentMetrics;
        assertTrue(m.contentType().startsWith("text/plain; version=0.0.4"), m.contentType());
        assertTrue(m.sum("vb_agent_driver_call_duration_seconds_count", "call=\"migrate\"") >= 1);
        assertTrue(m.sum("vb_agent_driver_call_duration_seconds_count", "call=\"sample_load\"") >= 3);
        assertTrue(m.sum("vb_agent_commands_received_total", "type=\"migrate\"") >= 1);
        for (String host : List.of("mx1", "mx2", "mx3")) {
            assertTrue(m.sum("vb_agent_samples_published_total", "host=\"" + host + "\"") >= 1, host);
            assertTrue(m.value("vb_agent_outbox_pending{host=\"" + host + "\"}").isPresent(), host);
        }
        // Kafka took every send: its failure series are exported at 0 (for alerts on increase()), and no outage is open.
        for (String reason : List.of("timeout", "producer_state", "other")) {
            assertTrue(m.value("vb_agent_kafka_send_failures_total{reason=\"" + reason + "\",topic=\"" + topics.hostLoad()
                    + "\"}").isPresent(), reason);
        }
        assertEquals(0, m.sum("vb_agent_kafka_send_failures_total"));
        assertEquals(0, m.sum("vb_agent_kafka_producer_replaced_total"));
        assertEquals(0, m.sum("vb_agent_kafka_unreachable_since_seconds"));
        assertTrue(m.names().contains("process_cpu_seconds_total") && m.names().contains("jvm_memory_used_bytes"));
        assertFalse(m.names().stream().anyMatch(n -> n.startsWith("vb_host_")), "an agent alone runs no balancer");
    }

    @Test
    void everyMetricTheDashboardQueriesIsExposedByARealBalancerOrAgent() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Map<String, Set<String>> usedBy = new TreeMap<>();
        GrafanaDashboardTest.queries(dashboard).forEach((panel, exprs) -> exprs.forEach(expr ->
                PromQl.metricNames(expr).forEach(n -> usedBy.computeIfAbsent(n, k -> new TreeSet<>()).add(panel))));
        assertTrue(usedBy.size() > 20, "the dashboard queries only " + usedBy.keySet());

        Set<String> exposed = new TreeSet<>(balancerMetrics.names());
        exposed.addAll(agentMetrics.names());
        Map<String, Set<String>> missing = new TreeMap<>(usedBy);
        missing.keySet().removeAll(exposed);
        assertTrue(missing.isEmpty(), "the dashboard queries metrics no process exposes (metric: panels): " + missing
                + "\nscrapes in " + run);
    }
}
