package org.virtbalancer.deploy.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vbal topics create|list} against a real broker, checked with Kafka's own Admin client. */
@ExtendWith(Broker.class)
class TopicsCommandTest {
    private EmbeddedKafka kafka;
    private Admin admin;
    private String prefix;

    @BeforeEach
    void connect(EmbeddedKafka broker) {
        kafka = broker;
        admin = Admin.create(new HashMap<>(KafkaSettings.of(broker.bootstrapServers()).admin("topics-test")));
        prefix = "tc" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void close() {
        admin.close();
    }

    record Run(int exit, String out, String err) {}

    private Run vbal(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Vbal.commandLine(Map.of(), Path.of("/nonexistent"));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** {@code vbal topics SUB --bootstrap <the test broker> --prefix <this test's> MORE…}. */
    private Run topics(String sub, String... more) {
        List<String> args = new ArrayList<>(List.of("topics", sub, "--bootstrap", kafka.bootstrapServers(), "--prefix", prefix));
        args.addAll(List.of(more));
        return vbal(args.toArray(String[]::new));
    }

    private TopicDescription describe(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    private Config configs(String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(r)).all().get().get(r);
    }

    private void assertTopic(String topic, int partitions, String cleanup, Duration retention) throws Exception {
        assertEquals(partitions, describe(topic).partitions().size(), topic + " partitions");
        Config c = configs(topic);
        assertEquals(cleanup, c.get("cleanup.policy").value(), topic + " cleanup.policy");
        if (retention != null) {
            assertEquals(String.valueOf(retention.toMillis()), c.get("retention.ms").value(), topic + " retention.ms");
        }
    }

    /** A line of {@code out}: the topic, padded, then what matches {@code rest} (a regex). */
    private static void assertLine(String out, String topic, String rest) {
        assertTrue(out.lines().anyMatch(l -> l.matches(Pattern.quote(topic) + " +" + rest)), topic + " " + rest + " in\n" + out);
    }

    @Test
    void createsEveryTopicWithItsPartitionsCompactionAndRetention(@TempDir Path dir) throws Exception {
        Path hostsFile = Files.write(dir.resolve("hosts"), List.of("# the rack", "kvm-03", "", "kvm-04  # spare"));
        Run run = topics("create", "--partitions", "2", "--load-retention", "6h", "--decisions-retention", "3d",
                "--hosts", "kvm-01,kvm-02", "--hosts-file", hostsFile.toString());
        assertEquals(0, run.exit(), run.err());
        Topics t = new Topics(prefix);
        assertTopic(t.inventory(), 2, "compact", null);
        assertTopic(t.hostLoad(), 2, "delete", Duration.ofHours(6));
        assertTopic(t.domainEvents(), 2, "delete", Duration.ofDays(7));
        assertTopic(t.commandResults(), 2, "delete", Duration.ofDays(1));
        assertTopic(t.control(), 1, "compact", null);
        assertTopic(t.decisions(), 1, "delete", Duration.ofDays(3));
        assertTopic(t.deadLetter(), 1, "delete", Duration.ofDays(7));
        assertTopic(t.leader(), 1, "compact", null);
        for (String host : List.of("kvm-01", "kvm-02", "kvm-03", "kvm-04")) {
            assertTopic(t.commands(host), 1, "delete", Duration.ofDays(1));
        }
        assertLine(run.out(), t.hostLoad(), "created  2 partitions, replication 1, min.insync.replicas 1, delete after 6h");
        assertTrue(run.out().endsWith("12 topics under prefix '" + prefix + "' at " + kafka.bootstrapServers()
                + ": 12 created, 0 existed (0 of them updated)\n"), run.out());
    }

    @Test
    void runningAgainReportsWhatExistsAndSetsChangedConfigsBack() throws Exception {
        assertEquals(0, topics("create", "--partitions", "2").exit());
        Topics t = new Topics(prefix);
        ConfigResource decisions = new ConfigResource(ConfigResource.Type.TOPIC, t.decisions());
        admin.incrementalAlterConfigs(Map.of(decisions, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"),
                AlterConfigOp.OpType.SET)))).all().get();

        Run again = topics("create", "--partitions", "4");
        assertEquals(0, again.exit(), again.err());
        assertTopic(t.decisions(), 1, "delete", Duration.ofDays(7));
        assertLine(again.out(), t.decisions(), "updated  1 partition, replication 1, min.insync.replicas 1, delete after 7d");
        assertTrue(again.out().contains("set retention.ms 3600000 → 604800000"), again.out());
        assertLine(again.out(), t.control(), "exists   1 partition, replication 1, min.insync.replicas 1, compact");
        // Adding partitions would move hosts' keys: reported, not done.
        assertTopic(t.hostLoad(), 2, "delete", Duration.ofDays(1));
        assertTrue(again.out().contains("note: has 2 partitions, 4 wanted: left as is"), again.out());
        assertTrue(again.out().endsWith(": 0 created, 8 existed (1 of them updated)\n"), again.out());
    }

    @Test
    void listShowsEachTopicsPartitionsReplicationAndCleanupAndWhatIsMissing() {
        Run empty = topics("list");
        assertEquals(0, empty.exit(), empty.err());
        assertTrue(empty.out().contains("0 topics under prefix '" + prefix + "'"), empty.out());
        assertTrue(empty.out().contains("missing: " + prefix + "inventory, "), empty.out());

        assertEquals(0, topics("create", "--hosts", "kvm-01").exit());
        Run listed = topics("list");
        assertEquals(0, listed.exit(), listed.err());
        assertLine(listed.out(), prefix + "host-load", "3 +1 +1 +delete after 1d");
        assertLine(listed.out(), prefix + "leader", "1 +1 +1 +compact");
        assertLine(listed.out(), prefix + "commands.kvm-01", "1 +1 +1 +delete after 1d");
        assertTrue(listed.out().endsWith("9 topics under prefix '" + prefix + "' at " + kafka.bootstrapServers() + "\n"),
                listed.out());
    }

    @Test
    void agentsAndBalancersCreateTheirTopicsAsTopicsCreateWould(@TempDir Path dir) throws Exception {
        String agentPrefix = prefix + "a.";
        String balancerPrefix = prefix + "b.";
        try (VbalProcess balancer = VbalProcess.start("balancer", List.of("-Xmx256m"), dir.resolve("balancer.log"),
                List.of("balancer", "--bootstrap", kafka.bootstrapServers(), "--prefix", balancerPrefix, "--http-port", "-1"));
             VbalProcess agent = VbalProcess.start("agent", List.of("-Xmx256m"), dir.resolve("agent.log"),
                List.of("agent", "--bootstrap", kafka.bootstrapServers(), "--prefix", agentPrefix, "--driver", "simulated",
                        "--host", "sim-1", "--guests-per-host", "1", "--metrics-port", "0",
                        "--state-dir", dir.resolve("state").toString()))) {
            await().atMost(Duration.ofSeconds(90)).until(() ->
                    balancer.firstLine("balancer ") != null && agent.firstLine("agents for ") != null
                            || !balancer.isAlive() || !agent.isAlive());
            assertTrue(balancer.isAlive(), balancer.output());
            assertTrue(agent.isAlive(), agent.output());
        }
        for (String[] args : List.of(new String[] {"--prefix", agentPrefix, "--hosts", "sim-1"},
                new String[] {"--prefix", balancerPrefix})) {
            List<String> all = new ArrayList<>(List.of("topics", "create", "--bootstrap", kafka.bootstrapServers()));
            all.addAll(List.of(args));
            Run check = vbal(all.toArray(String[]::new));
            assertEquals(0, check.exit(), check.err());
            assertTrue(check.out().contains(" 0 created, "), check.out());
            assertTrue(check.out().contains("(0 of them updated)"), check.out());
            assertFalse(check.out().contains("note:"), check.out());
        }
    }

    @Test
    void anUnreachableBrokerIsExitCodeFiveWithOneSentence() {
        for (String sub : List.of("create", "list")) {
            Run run = vbal("topics", sub, "--bootstrap", "127.0.0.1:1", "--timeout", "2s");
            assertEquals(5, run.exit(), run.out() + run.err());
            assertEquals("error: cannot reach Kafka: no Kafka broker at 127.0.0.1:1 answered within 2 s; check --bootstrap"
                    + " (or VB_BOOTSTRAP) and that the brokers run, or wait longer with --timeout\n", run.err());
        }
    }

    @Test
    void badArgumentsAreExitCodeTwoAndSayWhatToDo() {
        Run prefixRun = vbal("topics", "create", "--bootstrap", "127.0.0.1:1", "--prefix", "vb/");
        assertEquals(2, prefixRun.exit());
        assertEquals("error: --prefix 'vb/' may only hold letters, digits, '.', '_' and '-'\n", prefixRun.err());

        Run host = topics("create", "--hosts", "kvm 1");
        assertEquals(2, host.exit());
        assertTrue(host.err().startsWith("error: host: 'kvm 1' is not a valid name"), host.err());

        Run colon = topics("create", "--hosts", "kvm:1");
        assertEquals(2, colon.exit());
        assertTrue(colon.err().startsWith("error: '" + prefix + "commands.kvm:1' cannot be a Kafka topic name"), colon.err());

        Run partitions = topics("create", "--partitions", "0");
        assertEquals(2, partitions.exit());
        assertEquals("error: --partitions must be at least 1, got 0\n", partitions.err());

        Run isrAboveReplication = topics("create", "--replication-factor", "3", "--min-insync-replicas", "4");
        assertEquals(2, isrAboveReplication.exit());
        assertEquals("error: --min-insync-replicas must be between 1 and the replication factor 3 (more would refuse"
                + " every acks=all write), or -1 for 2, got 4\n", isrAboveReplication.err());

        Run isrZero = topics("create", "--replication-factor", "3", "--min-insync-replicas", "0");
        assertEquals(2, isrZero.exit());
        assertTrue(isrZero.err().startsWith("error: --min-insync-replicas must be between 1 and the replication factor 3"),
                isrZero.err());

        Run isrWithoutReplication = topics("create", "--min-insync-replicas", "2");
        assertEquals(2, isrWithoutReplication.exit());
        assertEquals("error: --min-insync-replicas 2 needs --replication-factor too, to be checked against it: give both,"
                + " e.g. --replication-factor 3 --min-insync-replicas 2\n", isrWithoutReplication.err());

        Run missingFile = topics("create", "--hosts-file", "/nonexistent/hosts");
        assertEquals(2, missingFile.exit());
        assertTrue(missingFile.err().startsWith("error: cannot read --hosts-file /nonexistent/hosts"), missingFile.err());
        assertTrue(Set.of(prefixRun, host, colon, partitions, missingFile).stream().allMatch(r -> r.err().lines().count() == 1));
        assertTrue(Set.of(isrAboveReplication, isrZero, isrWithoutReplication).stream()
                .allMatch(r -> r.err().lines().count() == 1));
    }
}
