package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.kafka.SecureKafka;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster on a broker that only speaks TLS and SASL and enforces ACLs (SecureKafka): the agents
 * connect with their own client certificates (mTLS, principals {@code User:agent-HOST}), the
 * balancer with SCRAM-SHA-512, the operator's vbal with SASL/PLAIN; the ACLs are the ones
 * deploy/bin/kafka-acls-virt-balancer applies, and the topics are the ones vbal topics create makes,
 * as an operator sets up a cluster. Then a host is evacuated end to end; clients without a
 * certificate or with a wrong password are refused, each with one sentence saying what to check;
 * and an agent's certificate reads its own commands only and writes no command at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSecurityTest {
    private static final List<String> HOSTS = List.of("host-1", "host-2");

    @TempDir
    static Path dir;
    private SecureKafka kafka;
    private Topics topics;
    private SimulatedFabric fabric;
    private LocalCluster cluster;
    private Path operatorConfig;

    @BeforeAll
    void start() throws Exception {
        kafka = SecureKafka.start(dir);
        topics = new Topics("sec" + UUID.randomUUID().toString().substring(0, 8) + ".");

        // The ACLs, applied over SASL_SSL by the super user through Kafka's own kafka-acls.
        Path admin = kafka.file("admin", kafka.scram("admin", SecureKafka.SCRAM_USERS.get("admin")));
        ScriptRun acls = ScriptRun.of(script(), "--prefix", topics.prefix(), "--hosts", String.join(",", HOSTS),
                "--apply", "--bootstrap-server", kafka.saslBootstrap(), "--command-config", admin.toString());
        assertEquals(0, acls.exit(), acls.output());
        assertTrue(acls.output().contains("15 kafka-acls invocations applied"), acls.output());

        // The topics, made by the operator (SASL/PLAIN), who may create and configure them.
        operatorConfig = kafka.file("operator", kafka.plain("operator", SecureKafka.PLAIN_USERS.get("operator")));
        InProcessVbal.Run created = vbal(kafka.saslBootstrap(), operatorConfig, "topics", "create",
                "--hosts", String.join(",", HOSTS));
        assertEquals(0, created.exit(), created.all());

        fabric = SimulatedFabric.builder().migrationSpeedup(50)
                .host(HostSpec.of("host-1")).host(HostSpec.of("host-2"))
                .guest("host-1", GuestSpec.of("web-1").withMemoryMiB(1024))
                .guest("host-1", GuestSpec.of("db-1").withMemoryMiB(2048))
                .build();
        Map<String, KafkaSettings> agents = new HashMap<>();
        for (String host : HOSTS) {
            agents.put(host, new KafkaSettings(kafka.sslBootstrap(), topics, kafka.mutualTls("agent-" + host)));
        }
        KafkaSettings balancer = new KafkaSettings(kafka.saslBootstrap(), topics,
                kafka.scram("balancer", SecureKafka.SCRAM_USERS.get("balancer")));
        Path state = Files.createDirectories(dir.resolve("agents"));
        cluster = LocalCluster.start(
                BalancerConfig.of("s1", balancer).withSettings(ClusterFixture.testSettings()).withTick(Duration.ofMillis(250)),
                fabric, HOSTS,
                host -> AgentConfig.of(host, agents.get(host), state.resolve(host))
                        .withSampleInterval(Duration.ofMillis(250))
                        .withProgressInterval(Duration.ofMillis(200)),
                new SimpleMeterRegistry());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void agentsOverMutualTlsAndTheBalancerOverScramEvacuateAHost() {
        // Inventory and load travel from the agents (mTLS) to the balancer (SCRAM).
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.balancer().snapshot().hosts().size() == 2);

        // The operator (SASL/PLAIN) asks; the leader's commands reach host-1's agent on its own topic.
        InProcessVbal.Run enter = vbal(kafka.saslBootstrap(), operatorConfig, "maintenance", "enter", "host-1",
                "--wait", "--timeout", "60s");
        assertEquals(0, enter.exit(), enter.all());
        assertTrue(enter.out().contains("IN_MAINTENANCE") && enter.out().contains("2/2 moved"), enter.out());
        assertEquals(List.of(), fabric.guests("host-1"));
        assertEquals(2, fabric.guests("host-2").size());
    }

    @Test
    void theBalancersApiWritesControlMessagesUnderItsOwnTransactionalIds() throws Exception {
        // What the HTTP API and the live page call: a transaction under <prefix>api-<id>, which its ACL allows.
        Envelope written = cluster.balancer().control(new ExitMaintenance("host-2"), "security-test")
                .toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
        assertEquals("host-2", ((ExitMaintenance) written.body()).host());
    }

    @Test
    void clientsWithoutTheCertificateOrWithAWrongPasswordAreRefusedInOneSentence() throws Exception {
        InProcessVbal.Run noCertificate = vbal(kafka.sslBootstrap(),
                kafka.file("no-certificate", kafka.tlsWithoutCertificate()), "maintenance", "status", "host-1");
        assertEquals(1, noCertificate.exit(), noCertificate.all());
        assertRefusal(noCertificate, kafka.sslBootstrap(), "TLS handshake failed: ");

        InProcessVbal.Run strangerCa = vbal(kafka.sslBootstrap(),
                kafka.file("stranger-ca", kafka.mutualTlsFromAnotherCa("agent-host-1")), "maintenance", "status", "host-1");
        assertEquals(1, strangerCa.exit(), strangerCa.all());
        assertRefusal(strangerCa, kafka.sslBootstrap(), "TLS handshake failed: ");

        InProcessVbal.Run wrongPassword = vbal(kafka.saslBootstrap(),
                kafka.file("wrong-password", kafka.scram("balancer", "not-the-password")), "maintenance", "status", "host-1");
        assertEquals(1, wrongPassword.exit(), wrongPassword.all());
        assertRefusal(wrongPassword, kafka.saslBootstrap(), "invalid credentials");

        // A service refused as it starts stops with the same kind of sentence.
        InProcessVbal.Run agent = vbal(kafka.saslBootstrap(),
                kafka.file("agent-wrong-password", kafka.scram("balancer", "not-the-password")), "agent",
                "--driver", "simulated", "--host", "host-9", "--metrics-port", "-1",
                "--state-dir", dir.resolve("refused-agent").toString());
        assertEquals(1, agent.exit(), agent.all());
        assertTrue(agent.err().startsWith("error: the agent could not start: Kafka refused the agent's credentials ("),
                agent.err());
        assertTrue(agent.err().contains("invalid credentials") && agent.err().contains("sasl.jaas.config"), agent.err());
        assertEquals(1, agent.err().lines().count(), agent.err());

        // Plain text against the TLS listener: the broker never answers; the sentence says what may be missing.
        Path plain = Files.writeString(dir.resolve("plain.properties"), "default.api.timeout.ms=1500\nrequest.timeout.ms=1500\n");
        InProcessVbal.Run plaintext = vbal(kafka.sslBootstrap(), plain, "maintenance", "status", "host-1");
        assertEquals(5, plaintext.exit(), plaintext.all());
        assertTrue(plaintext.err().contains("if its listener takes TLS or SASL, pass --kafka-config FILE with"
                + " security.protocol"), plaintext.err());
    }

    @Test
    void anAgentsCertificateReadsOnlyItsOwnCommandsAndWritesNoCommand() throws Exception {
        Map<String, Object> consumer = new HashMap<>(new KafkaSettings(kafka.sslBootstrap(), topics,
                kafka.mutualTls("agent-host-1")).consumer("agent-host-1-probe", "vb-agent-host-1"));
        consumer.remove("group.id");
        consumer.put("default.api.timeout.ms", "10000");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumer)) {
            TopicPartition own = new TopicPartition(topics.commands("host-1"), 0);
            c.assign(List.of(own));
            c.seekToBeginning(List.of(own));
            assertEquals(0L, c.position(own));
            c.poll(Duration.ofMillis(500));

            TopicPartition other = new TopicPartition(topics.commands("host-2"), 0);
            c.assign(List.of(other));
            c.seekToBeginning(List.of(other));
            TopicAuthorizationException refused = assertThrows(TopicAuthorizationException.class, () -> {
                c.position(other);
                c.poll(Duration.ofSeconds(5));
            });
            assertTrue(refused.unauthorizedTopics().contains(topics.commands("host-2")), refused.toString());
        }

        Map<String, Object> producer = new HashMap<>(new KafkaSettings(kafka.sslBootstrap(), topics,
                kafka.mutualTls("agent-host-1")).producer("agent-host-1-probe"));
        producer.put("max.block.ms", "10000");
        producer.put("delivery.timeout.ms", "10000");
        producer.put("request.timeout.ms", "5000");
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producer)) {
            List<String> refusedTopics = new ArrayList<>();
            for (String topic : List.of(topics.commands("host-1"), topics.commands("host-2"), topics.decisions(),
                    topics.control())) {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> p.send(new ProducerRecord<>(topic, "x", new byte[]{'{', '}'})).get(15, TimeUnit.SECONDS));
                assertInstanceOf(TopicAuthorizationException.class, e.getCause(), topic);
                refusedTopics.add(topic);
            }
            assertEquals(4, refusedTopics.size());
            // What it may write, it can: its reports.
            p.send(new ProducerRecord<>(topics.deadLetter(), "host-1", new byte[]{'{', '}'})).get(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void theScriptPrintsTheKafkaAclsCommandsAndRefusesABadHost() throws Exception {
        Path hosts = Files.writeString(dir.resolve("hosts"), "kvm-01   # rack 1\n\nkvm-02\n");
        ScriptRun printed = ScriptRun.of(script(), "--prefix", "vb.", "--hosts-file", hosts.toString(),
                "--bootstrap-server", "kafka-1:9093", "--agent-principal", "User:CN=agent-{host}");
        assertEquals(0, printed.exit(), printed.output());
        List<String> commands = printed.output().lines().filter(l -> l.startsWith("kafka-acls.sh ")).toList();
        assertEquals(15, commands.size(), printed.output());
        // Control messages go out in transactions: each writer may use its own transactional ids, and only those.
        assertTrue(commands.contains("kafka-acls.sh --bootstrap-server kafka-1:9093 --add --allow-principal User:operator"
                + " --operation Write --operation Describe --transactional-id vb.vbal- --resource-pattern-type prefixed"),
                printed.output());
        assertTrue(commands.contains("kafka-acls.sh --bootstrap-server kafka-1:9093 --add --allow-principal User:balancer"
                + " --operation Write --operation Describe --transactional-id vb.api- --resource-pattern-type prefixed"),
                printed.output());
        assertTrue(commands.stream().allMatch(l -> l.startsWith("kafka-acls.sh --bootstrap-server kafka-1:9093 --add ")),
                printed.output());
        assertTrue(commands.contains("kafka-acls.sh --bootstrap-server kafka-1:9093 --add --allow-principal"
                + " User:CN=agent-kvm-01 --operation Read --operation Describe --topic vb.commands.kvm-01 --group"
                + " vb-agent-kvm-01 --group vb-agent-kvm-01-results-check"), printed.output());
        // No agent principal is given anything on a command topic but its own, nor any Write there.
        List<String> agentsOnCommands = commands.stream().filter(l -> l.contains("agent-") && l.contains("vb.commands."))
                .toList();
        assertEquals(2, agentsOnCommands.size(), printed.output());
        for (String host : List.of("kvm-01", "kvm-02")) {
            assertEquals(1, agentsOnCommands.stream().filter(l -> l.contains("--allow-principal User:CN=agent-" + host + " ")
                    && l.contains("--topic vb.commands." + host + " ") && l.contains("--operation Read --operation Describe")
                    && !l.contains("Write")).count(), printed.output());
        }
        assertEquals(1, commands.stream().filter(l -> l.contains("--operation Write --topic vb.commands.")).count());
        assertTrue(commands.stream().filter(l -> l.contains("--operation Write --topic vb.commands."))
                .allMatch(l -> l.contains("--allow-principal User:balancer ")), printed.output());

        ScriptRun bad = ScriptRun.of(script(), "--hosts", "kvm-01,kvm 02;reboot");
        assertEquals(2, bad.exit(), bad.output());
        assertTrue(bad.output().startsWith("kafka-acls-virt-balancer: host 'kvm 02;reboot' is not a valid host id"),
                bad.output());
    }

    private static void assertRefusal(InProcessVbal.Run run, String bootstrap, String reason) {
        String err = run.err();
        assertTrue(err.startsWith("error: Kafka at " + bootstrap + " refused this client's credentials ("), err);
        assertTrue(err.contains(reason), err);
        assertTrue(err.contains("--kafka-config"), err);
        assertEquals(1, err.lines().count(), "one sentence, no stack trace: " + err);
    }

    /** {@code vbal ARGS… --bootstrap B --prefix P --kafka-config F} in this JVM. */
    private InProcessVbal.Run vbal(String bootstrap, Path kafkaConfig, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap", bootstrap, "--prefix", topics.prefix(), "--kafka-config", kafkaConfig.toString()));
        return new InProcessVbal(null, null, null, null).run(all.toArray(String[]::new));
    }

    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path script = d.resolve("deploy/bin/kafka-acls-virt-balancer");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new IllegalStateException("deploy/bin/kafka-acls-virt-balancer not found above " + Path.of("").toAbsolutePath());
    }

    /** A program run to its end (at most 120 s), with its output. */
    record ScriptRun(int exit, String output) {
        static ScriptRun of(Path script, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of("bash", script.toString()));
            command.addAll(List.of(args));
            Path out = Files.createTempFile("vb-acls", ".out");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not end within 120 s: " + Files.readString(out));
            }
            String output = Files.readString(out);
            Files.deleteIfExists(out);
            return new ScriptRun(p.exitValue(), output);
        }
    }
}
