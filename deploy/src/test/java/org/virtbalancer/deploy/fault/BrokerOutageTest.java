package org.virtbalancer.deploy.fault;

import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.cli.VbalProcess;
import org.virtbalancer.deploy.kafka.ChildKafka;
import org.virtbalancer.deploy.metrics.Exposition;
import org.virtbalancer.protocol.KafkaSettings;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.fault.BrokerRestartTest.within;

/**
 * A Kafka outage longer than the producer's delivery timeout, as an agent and a balancer live
 * through it: the broker ({@link ChildKafka}) is killed while an agent of two simulated hosts (its
 * own JVM, {@code vbal agent}) publishes a sample per host every second, and started again once
 * records have expired. The agent loses what expired, counts it
 * ({@code vb_agent_kafka_send_failures_total{reason="timeout"}}, and
 * {@code vb_agent_kafka_unreachable_since_seconds} while it lasts), logs the outage once at WARN and
 * its end once at INFO, never an unhandled exception, and publishes samples again after the restart
 * without being restarted. The balancer ({@code vbal balancer}, its own JVM) is asked through its API
 * to set the automation level during the outage: it answers 503, and its producer counts and logs
 * the outage in the same way; the same request succeeds after the restart. The delivery timeout is
 * shortened to 8 s through {@code --kafka-config}, and a send's wait for metadata to 5 s. Logs stay
 * in {@code deploy/target/broker-outage/run-*}.
 */
class BrokerOutageTest {
    private static final List<String> HOSTS = List.of("o1", "o2");
    private static final String OUTAGE_WARN = "Kafka did not take a record for";
    private static final String RECOVERY_INFO = "Kafka takes what agent";
    private static final String FAILURES = "vb_agent_kafka_send_failures_total";
    private static final String SINCE = "vb_agent_kafka_unreachable_since_seconds";
    private static final String BALANCER_WARN = "Kafka did not take a record for vb.control from balancer";
    private static final String BALANCER_INFO = "Kafka takes what balancer";
    private static final String BALANCER_FAILURES = "vb_balancer_kafka_send_failures_total";
    private static final String TOKEN = "broker-outage-test-token-0123";
    /** The balancer's JVM: the client JIT only, as BrokerRestartTest's. */
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void anAgentAndABalancerCountWhatAnOutageLostLogItOnceAndSendAgainWhenTheBrokerIsBack() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "broker-outage").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path clientConfig = Files.writeString(run.resolve("client.properties"),
                "delivery.timeout.ms=8000\nrequest.timeout.ms=3000\nmax.block.ms=5000\n");
        Path token = Files.writeString(run.resolve("api-token"), TOKEN);
        try (ChildKafka broker = ChildKafka.create(run.resolve("kafka"), true, classpath, ChildKafka.DEFAULT_JVM_OPTIONS)) {
            broker.start();
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            try (TopicTap tap = new TopicTap(kafka);
                 AgentProcess agent = AgentProcess.simulated(kafka, run.resolve("agents"), run.resolve("agent.log"), HOSTS,
                         "--interval", "1s", "--kafka-config", clientConfig.toString());
                 VbalProcess balancer = VbalProcess.start("balancer", JVM, run.resolve("balancer.log"), List.of("balancer",
                         "--id", "b1", "--bootstrap", kafka.bootstrapServers(), "--http-port", "0", "--api-token-file", token.toString(),
                         "--kafka-config", clientConfig.toString()))) {
                Supplier<String> diagnosis = () -> agent.output() + "\n" + balancer.output() + "\nlogs: " + run;
                within(Duration.ofSeconds(90), () -> agent.running() && agent.metricsUrl() != null
                        && balancer.firstLine("api: ") != null || !agent.alive() || !balancer.isAlive(), diagnosis);
                assertTrue(agent.alive() && balancer.isAlive(), diagnosis);
                String metrics = agent.metricsUrl();
                String api = balancer.firstLine("api: ").text().substring("api: ".length()).trim().split("\\s+")[0];
                within(Duration.ofSeconds(60), () -> HOSTS.stream().allMatch(h -> !tap.samples(h).isEmpty()), diagnosis);
                assertEquals(0.0, Exposition.scrape(metrics).sum(SINCE), "no outage yet");
                assertEquals(202, setAutomation(api, "partial").statusCode(), diagnosis);

                broker.kill();
                // Samples wait in the producer for 8 s, then expire (or 5 s for metadata it lost): lost, counted, and logged.
                within(Duration.ofSeconds(60), () -> agent.logCount(OUTAGE_WARN) > 0
                        && Exposition.scrape(metrics).sum(FAILURES, "reason=\"timeout\"") >= 2, diagnosis);
                Exposition during = Exposition.scrape(metrics);
                assertTrue(during.sum(SINCE) > 0, "unreachable since, in seconds: " + during.sum(SINCE));
                double lostDuring = during.sum(FAILURES);
                HttpResponse<String> refused = setAutomation(api, "manual");
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(Exposition.scrape(api + "/metrics").sum(BALANCER_FAILURES, "reason=\"timeout\"") >= 1);

                broker.start();
                long readyAt = System.currentTimeMillis();
                within(Duration.ofSeconds(90), () -> HOSTS.stream().allMatch(h -> tap.samples(h).stream()
                        .anyMatch(e -> e.ts() > readyAt)), () -> "not every host published after the restart\n" + diagnosis.get());
                within(Duration.ofSeconds(30), () -> agent.logCount(RECOVERY_INFO) > 0, diagnosis);
                assertEquals(202, setAutomation(api, "manual").statusCode(), diagnosis);
                Exposition after = Exposition.scrape(metrics);

                assertTrue(agent.alive(), diagnosis);
                assertEquals(0.0, after.sum(SINCE), "sends succeed again");
                assertTrue(after.sum(FAILURES) >= lostDuring && lostDuring >= 2, () -> "lost " + lostDuring);
                assertEquals(1, agent.logCount(OUTAGE_WARN), "one WARN for the outage\n" + diagnosis.get());
                assertEquals(1, agent.logCount(RECOVERY_INFO), "one INFO for its end\n" + diagnosis.get());
                assertEquals(0, agent.logCount("Unhandled exception"), "every failed send is handled\n" + diagnosis.get());

                assertTrue(balancer.isAlive(), diagnosis);
                assertEquals(0.0, Exposition.scrape(api + "/metrics").sum("vb_balancer_kafka_unreachable_since_seconds"));
                assertEquals(1, balancer.logCount(BALANCER_WARN), "one WARN for the outage\n" + diagnosis.get());
                assertEquals(1, balancer.logCount(BALANCER_INFO), "one INFO for its end\n" + diagnosis.get());
                assertEquals(0, balancer.logCount("Unhandled exception"), "every failed send is handled\n" + diagnosis.get());
            }
        }
    }

    /** {@code PUT /api/automation}: the balancer writes a SetAutomation to the control topic. */
    private HttpResponse<String> setAutomation(String api, String level) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api + "/api/automation")).timeout(Duration.ofSeconds(90))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"level\": \"" + level + "\"}"))
                .header("content-type", "application/json").header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
