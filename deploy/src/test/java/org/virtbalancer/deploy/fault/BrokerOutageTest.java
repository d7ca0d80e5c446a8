package org.virtbalancer.deploy.fault;

import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.kafka.ChildKafka;
import org.virtbalancer.deploy.metrics.Exposition;
import org.virtbalancer.protocol.KafkaSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbalancer.deploy.fault.BrokerRestartTest.within;

/**
 * A Kafka outage longer than the producer's delivery timeout, as an agent lives through it: the
 * broker ({@link ChildKafka}) is killed while an agent of two simulated hosts (its own JVM,
 * {@code vbal agent}) publishes a sample per host every second, and started again once records
 * have expired. The agent loses what expired, counts it
 * ({@code vb_agent_kafka_send_failures_total{reason="timeout"}}, and
 * {@code vb_agent_kafka_unreachable_since_seconds} while it lasts), logs the outage once at WARN and
 * its end once at INFO, never an unhandled exception, and publishes samples again after the restart
 * without being restarted. The delivery timeout is shortened to 8 s through {@code --kafka-config}.
 * Logs stay in {@code deploy/target/broker-outage/run-*}.
 */
class BrokerOutageTest {
    private static final List<String> HOSTS = List.of("o1", "o2");
    private static final String OUTAGE_WARN = "Kafka did not take a record for";
    private static final String RECOVERY_INFO = "Kafka takes what agent";
    private static final String FAILURES = "vb_agent_kafka_send_failures_total";
    private static final String SINCE = "vb_agent_kafka_unreachable_since_seconds";

    @Test
    void anAgentCountsWhatAnOutageLostLogsItOnceAndPublishesAgainWhenTheBrokerIsBack() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "broker-outage").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path clientConfig = Files.writeString(run.resolve("client.properties"),
                "delivery.timeout.ms=8000\nrequest.timeout.ms=3000\n");
        try (ChildKafka broker = ChildKafka.create(run.resolve("kafka"), true, classpath, ChildKafka.DEFAULT_JVM_OPTIONS)) {
            broker.start();
            KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers());
            try (TopicTap tap = new TopicTap(kafka);
                 AgentProcess agent = AgentProcess.simulated(kafka, run.resolve("agents"), run.resolve("agent.log"), HOSTS,
                         "--interval", "1s", "--kafka-config", clientConfig.toString())) {
                Supplier<String> diagnosis = () -> agent.output() + "\nlogs: " + run;
                within(Duration.ofSeconds(90), () -> agent.running() && agent.metricsUrl() != null || !agent.alive(), diagnosis);
                assertTrue(agent.alive(), diagnosis);
                String metrics = agent.metricsUrl();
                within(Duration.ofSeconds(60), () -> HOSTS.stream().allMatch(h -> !tap.samples(h).isEmpty()), diagnosis);
                assertEquals(0.0, Exposition.scrape(metrics).sum(SINCE), "no outage yet");

                broker.kill();
                // Samples wait in the producer for 8 s, then expire: lost, counted, and the outage logged.
                within(Duration.ofSeconds(60), () -> agent.logCount(OUTAGE_WARN) > 0
                        && Exposition.scrape(metrics).sum(FAILURES, "reason=\"timeout\"") >= 2, diagnosis);
                Exposition during = Exposition.scrape(metrics);
                assertTrue(during.sum(SINCE) > 0, "unreachable since, in seconds: " + during.sum(SINCE));
                double lostDuring = during.sum(FAILURES);

                broker.start();
                long readyAt = System.currentTimeMillis();
                within(Duration.ofSeconds(90), () -> HOSTS.stream().allMatch(h -> tap.samples(h).stream()
                        .anyMatch(e -> e.ts() > readyAt)), () -> "not every host published after the restart\n" + diagnosis.get());
                within(Duration.ofSeconds(30), () -> agent.logCount(RECOVERY_INFO) > 0, diagnosis);
                Exposition after = Exposition.scrape(metrics);

                assertTrue(agent.alive(), diagnosis);
                assertEquals(0.0, after.sum(SINCE), "sends succeed again");
                assertTrue(after.sum(FAILURES) >= lostDuring && lostDuring >= 2, () -> "lost " + lostDuring);
                assertEquals(1, agent.logCount(OUTAGE_WARN), "one WARN for the outage\n" + diagnosis.get());
                assertEquals(1, agent.logCount(RECOVERY_INFO), "one INFO for its end\n" + diagnosis.get());
                assertEquals(0, agent.logCount("Unhandled exception"), "every failed send is handled\n" + diagnosis.get());
            }
        }
    }
}
