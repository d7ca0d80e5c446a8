package org.virtbalancer.deploy.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.virtbalancer.deploy.kafka.KafkaCluster;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbal topics create --replication-factor N} on a real three-broker KRaft cluster sets
 * {@code min.insync.replicas} on every topic it creates (2 for 3 replicas, 1 for 2, or as given),
 * as a topic config of its own rather than the brokers' default; {@code vbal topics list} shows it.
 * Read back with Kafka's Admin client. Broker logs stay in {@code deploy/target/topics-replication/run-*}.
 */
class TopicsReplicationTest {
    private static KafkaCluster cluster;
    private static Admin admin;

    @BeforeAll
    static void startCluster() throws Exception {
        Path run = Files.createDirectories(Path.of("target", "topics-replication").toAbsolutePath()
                .resolve("run-" + System.currentTimeMillis()));
        cluster = KafkaCluster.create(run, 3);
        cluster.startAll();
        admin = Admin.create(new HashMap<>(KafkaSettings.of(cluster.bootstrapServers()).admin("topics-replication-test")));
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    record Run(int exit, String out, String err) {}

    private static Run vbal(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Vbal.commandLine(Map.of(), Path.of("/nonexistent"));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    private static Run topics(String prefix, String sub, String... more) {
        List<String> args = new ArrayList<>(List.of("topics", sub, "--bootstrap", cluster.bootstrapServers(), "--prefix", prefix));
        args.addAll(List.of(more));
        return vbal(args.toArray(String[]::new));
    }

    private static String newPrefix() {
        return "rt" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    /** Every topic of the prefix: the shared ones and the command topic of each host. */
    private static List<String> names(String prefix, String... hosts) {
        Topics t = new Topics(prefix);
        List<String> names = new ArrayList<>(t.shared().stream().map(Topics.Spec::name).toList());
        for (String h : hosts) {
            names.add(t.commands(h));
        }
        return names;
    }

    /** Each topic's replicas per partition and its {@code min.insync.replicas}, set on the topic itself. */
    private static void assertReplication(List<String> topics, int replicas, int minInsync) throws Exception {
        Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(60, TimeUnit.SECONDS);
        List<ConfigResource> resources = topics.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(60, TimeUnit.SECONDS);
        for (String topic : topics) {
            described.get(topic).partitions().forEach(p ->
                    assertEquals(replicas, p.replicas().size(), topic + " partition " + p.partition() + " replicas"));
            ConfigEntry isr = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get("min.insync.replicas");
            assertEquals(String.valueOf(minInsync), isr.value(), topic + " min.insync.replicas");
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, isr.source(),
                    topic + " min.insync.replicas is the topic's own, not the brokers' default");
        }
    }

    @Test
    void threeReplicasGetMinInsyncReplicasTwoOnEveryTopicAndListShowsIt() throws Exception {
        String prefix = newPrefix();
        Run run = topics(prefix, "create", "--replication-factor", "3", "--hosts", "kvm-01,kvm-02");
        assertEquals(0, run.exit(), run.err());
        assertReplication(names(prefix, "kvm-01", "kvm-02"), 3, 2);
        assertTrue(Pattern.compile(Pattern.quote(prefix + "host-load") + " +created  3 partitions, replication 3,"
                + " min.insync.replicas 2, delete after 1d").matcher(run.out()).find(), run.out());

        Run listed = topics(prefix, "list");
        assertEquals(0, listed.exit(), listed.err());
        assertTrue(listed.out().lines().findFirst().orElseThrow().matches("TOPIC +PARTITIONS +REPLICATION +MIN-ISR +CLEANUP"),
                listed.out());
        for (String topic : names(prefix, "kvm-01", "kvm-02")) {
            assertTrue(listed.out().lines().anyMatch(l -> l.matches(Pattern.quote(topic) + " +\\d+ +3 +2 +.*")),
                    topic + " with replication 3 and min ISR 2 in\n" + listed.out());
        }
    }

    @Test
    void twoReplicasGetOneAndAnExplicitValueIsTaken() throws Exception {
        String two = newPrefix();
        Run run = topics(two, "create", "--replication-factor", "2", "--hosts", "kvm-01");
        assertEquals(0, run.exit(), run.err());
        assertReplication(names(two, "kvm-01"), 2, 1);

        String explicit = newPrefix();
        Run all = topics(explicit, "create", "--replication-factor", "3", "--min-insync-replicas", "3", "--hosts", "kvm-01");
        assertEquals(0, all.exit(), all.err());
        assertReplication(names(explicit, "kvm-01"), 3, 3);
    }

    @Test
    void runningAgainSetsMinInsyncReplicasOnExistingTopicsButNeverAboveTheirReplication() throws Exception {
        String prefix = newPrefix();
        assertEquals(0, topics(prefix, "create", "--replication-factor", "3").exit());
        Run lowered = topics(prefix, "create", "--replication-factor", "3", "--min-insync-replicas", "1");
        assertEquals(0, lowered.exit(), lowered.err());
        assertReplication(names(prefix), 3, 1);
        assertTrue(lowered.out().contains("set min.insync.replicas 2 → 1"), lowered.out());

        // Topics of one replica (made before) keep 1: 2 would refuse every acks=all write to them.
        String single = newPrefix();
        assertEquals(0, topics(single, "create", "--replication-factor", "1").exit());
        Run raised = topics(single, "create", "--replication-factor", "3");
        assertEquals(0, raised.exit(), raised.err());
        assertReplication(names(single), 1, 1);
        String notes = raised.out().lines().filter(l -> l.contains("note: min.insync.replicas 2 wanted, but it has"
                + " replication 1: left at 1")).collect(Collectors.joining("\n"));
        assertEquals(names(single).size(), notes.lines().count(), raised.out());
    }
}
