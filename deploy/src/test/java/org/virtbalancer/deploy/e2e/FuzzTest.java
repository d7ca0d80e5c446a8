package org.virtbalancer.deploy.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.DeadLetter;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input in the suite: a few hand-written bad records on every consumed topic, each of
 * whose dead letters must give the reason a person needs, then a small fuzzing campaign (a few
 * thousand generated inputs through the topics, the HTTP API and vbal), so a regression in how any
 * consumer takes hostile input is caught on every run. {@link FuzzBenchmark} is the big one.
 */
@ExtendWith(Broker.class)
class FuzzTest {
    @Test
    void hostileInputOnEveryConsumerIsRejectedWithAReasonAndNothingBreaks(EmbeddedKafka broker) throws Exception {
        Map<String, String[]> known = new LinkedHashMap<>();
        FuzzCampaign campaign = new FuzzCampaign(8_2026L, 1, FuzzCampaign.mix(900, 300, 300, 200, 60, 30), 200, 15,
                Duration.ofSeconds(90), false);
        FuzzCampaign.Report report = campaign.run(broker, new FuzzCampaign.Hook() {
            @Override
            public void before(FuzzRun run) throws Exception {
                run.keepLetters();
                String env = "{\"v\":1,\"type\":\"%s\",\"id\":\"bad-%s\",\"ts\":1764115200000,\"source\":\"fuzz\",\"body\":%s}";
                // topic -> {payload, what the reason must say}
                known.put(run.topics.inventory(), new String[]{"{\"v\":1,\"type\":\"Inventory\",", "not valid JSON"});
                known.put(run.topics.hostLoad(), new String[]{String.format(env, "HostLoad", "1",
                        "{\"host\":\"host-1\",\"intervalMs\":1000,\"cpuCores\":-3,\"memoryMiB\":1,\"netMiBps\":0,\"diskMiBps\":0,\"guests\":[]}"),
                        "body.cpuCores: must not be negative"});
                known.put(run.topics.domainEvents(), new String[]{String.format(env, "Teleport", "2", "{}"),
                        "unknown message type 'Teleport'"});
                known.put(run.topics.commandResults(), new String[]{
                        "{\"v\":7,\"type\":\"CommandResult\",\"id\":\"x\",\"ts\":1,\"source\":\"s\",\"body\":{}}", "version 7 is not supported"});
                known.put(run.topics.control(), new String[]{String.format(env, "EnterMaintenance", "3", "{\"reason\":\"no host\"}"),
                        "body.host: is required but missing"});
                known.put(run.topics.commands("host-2"), new String[]{String.format(env, "Migrate", "4",
                        "{\"guest\":\"web-3\",\"source\":\"host-2\",\"target\":\"host-1\",\"mode\":\"SIDEWAYS\"}"), "body.mode"});
                for (Map.Entry<String, String[]> e : known.entrySet()) {
                    run.sendRaw(e.getKey(), "host-2", e.getValue()[0]);
                }
                // A message of the wrong type for its topic is bad input too.
                run.sendRaw(run.topics.control(), "host-1", String.format(env, "HostLoad", "5",
                        "{\"host\":\"host-1\",\"intervalMs\":1000,\"cpuCores\":1,\"memoryMiB\":1,\"netMiBps\":0,\"diskMiBps\":0,\"guests\":[]}"));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<DeadLetter> letters = run.keptLetters();
                    for (Map.Entry<String, String[]> e : known.entrySet()) {
                        assertTrue(letters.stream().anyMatch(d -> d.topic().equals(e.getKey()) && d.reason().contains(e.getValue()[1])
                                        && !d.payload().isEmpty() && d.rejectedBy().startsWith("balancer:")),
                                () -> "no dead letter for " + e.getKey() + " saying '" + e.getValue()[1] + "' in " + letters);
                    }
                    assertTrue(letters.stream().anyMatch(d -> d.topic().equals(run.topics.control())
                            && d.reason().contains("does not belong on " + run.topics.control())), () -> "wrong-type letter missing: " + letters);
                    assertTrue(letters.stream().anyMatch(d -> d.topic().equals(run.topics.commands("host-2"))
                            && d.reason().contains("body.mode") && d.rejectedBy().equals("agent:host-2")), "the agent's own letter");
                    assertTrue(letters.stream().filter(d -> d.topic().equals(run.topics.inventory())).count() >= 4,
                            "the balancer and each of the three agents reject the bad inventory record");
                });
            }
        });
        System.out.println(report);
        assertTrue(report.total() >= 2_000, report::toString);
        assertTrue(report.clean(), report::toString);
    }
}
