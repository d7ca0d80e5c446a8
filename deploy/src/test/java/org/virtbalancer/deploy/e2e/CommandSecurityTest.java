package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.AgentVerticle;
import org.virtbalancer.agent.CommandSecurity;
import org.virtbalancer.agent.libvirt.LibvirtDriver;
import org.virtbalancer.agent.libvirt.LibvirtDriverConfig;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.FinishedMigration;
import org.virtbalancer.balancer.core.MigrationSnapshot;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.CommandSigning;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.kafka.Broker;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.QemuIdentity;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.SigningKeys;
import org.virtbalancer.protocol.Topics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's signed commands and target allow-list, against the real broker: agents with a signing
 * key file (two simulated hosts, and host-l on libvirt's {@code test:///default} driver), a
 * balancer that signs with the same key and acts only on signed control messages, and a raw
 * producer playing the attacker. One setup for every case, in order (the key file is shared): the
 * cases take about 15 s together on a busy two-core machine.
 *
 * <p>"Nothing connects" is watched by a listening socket on a loopback port: the forged target
 * names it, and a forged inventory entry points libvirt at it. The libvirt driver connects to a
 * migration's target before it migrates (it refreshes the target's storage pools), so the socket
 * sees any attempt; {@link #aCommandNamingAHostOutsideTheClusterIsRejectedAndNothingConnectsThere}
 * shows it does, when a command is let through.
 */
@ExtendWith(Broker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CommandSecurityTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TEST_URI = "test:///default";

    private final Codec codec = new Codec();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicInteger trapConnections = new AtomicInteger();
    private KafkaSettings kafka;
    private Topics topics;
    private SimulatedFabric fabric;
    private LocalCluster cluster;
    private TopicTap tap;
    private KafkaProducer<String, byte[]> producer;
    private Path keyFile;
    private byte[] key1;
    private byte[] key2;
    private SigningKeys.Signer k1;
    private SigningKeys.Signer k2;
    private ServerSocket trap;
    private Path state;

    @BeforeAll
    void start(EmbeddedKafka broker) throws Exception {
        topics = new Topics("sec" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        state = Files.createTempDirectory("vb-sec-");
        key1 = random();
        key2 = random();
        k1 = SigningKeys.of(Map.of("k1", key1)).signer("k1");
        k2 = SigningKeys.of(Map.of("k2", key2)).signer("k2");
        keyFile = state.resolve("signing.keys");
        writeKeys(Map.of("k1", key1));
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));

        trap = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            while (!trap.isClosed()) {
                try (Socket s = trap.accept()) {
                    trapConnections.incrementAndGet();
                } catch (IOException e) {
                    // closed
                }
            }
        }, "trap");
        accepting.setDaemon(true);
        accepting.start();

        fabric = SimulatedFabric.builder().migrationSpeedup(4)
                .host(HostSpec.of("host-a").withLinkMiBps(1000)).host(HostSpec.of("host-b").withLinkMiBps(1000))
                .guest("host-a", GuestSpec.of("web").withMemoryMiB(1024).withDirtyRateMiBps(0).withConstantCpu(0.1))
                .guest("host-a", GuestSpec.of("m1").withMemoryMiB(1024).withDirtyRateMiBps(0).withConstantCpu(0.1))
                .guest("host-a", GuestSpec.of("m2").withMemoryMiB(1024).withDirtyRateMiBps(0).withConstantCpu(0.1))
                .guest("host-a", GuestSpec.of("m3").withMemoryMiB(1024).withDirtyRateMiBps(0).withConstantCpu(0.1))
                .guest("host-b", GuestSpec.of("db").withMemoryMiB(1024).withConstantCpu(0.1))
                .build();
        producer = new KafkaProducer<>(new HashMap<>(kafka.producer("attacker")));
        BalancerConfig balancer = BalancerConfig.of("s1", kafka).withTick(Duration.ofMillis(250))
                .withSettings(ClusterFixture.testSettings().withAutomation(AutomationLevel.MANUAL))
                .withSigning(CommandSigning.with(SigningKeys.load(keyFile).keys(), "k1").requiringSignedControl(true));
        List<String> hosts = List.of("host-a", "host-b", "host-l");
        cluster = LocalCluster.start(balancer, hosts, host -> host.equals("host-l")
                        ? new LibvirtDriver(LibvirtDriverConfig.of("host-l", TEST_URI)) : fabric.driver(host),
                host -> agentConfig(host, CommandSecurity.NONE.withKeyFile(keyFile)), registry);
        // A forged inventory entry: a "host" whose libvirt is the trap.
        send(topics.inventory(), "rogue", Envelope.of("agent:rogue", new Inventory(new HostFacts("rogue", "i686", "", 4, 4096,
                1250, "TEST", "", "", "", "127.0.0.1", "test+tcp://127.0.0.1:" + trap.getLocalPort() + "/default", Map.of(),
                List.of(), QemuIdentity.UNKNOWN), List.of()), System.currentTimeMillis()));
        tap = new TopicTap(kafka);
        await().atMost(WAIT).until(() -> cluster.balancer().snapshot().hosts().stream()
                .filter(h -> !h.stale() && Set.of("host-a", "host-b", "host-l").contains(h.host())).count() == 3);
    }

    @AfterAll
    void stop() throws Exception {
        if (tap != null) tap.close();
        if (producer != null) producer.close();
        if (cluster != null) cluster.close();
        if (trap != null) trap.close();
    }

    private AgentConfig agentConfig(String host, CommandSecurity security) {
        return AgentConfig.of(host, kafka, state.resolve(host)).withSampleInterval(Duration.ofMillis(250))
                .withInventoryInterval(Duration.ofSeconds(5)).withProgressInterval(Duration.ofMillis(200))
                .withStopGracePeriod(Duration.ofSeconds(1)).withSecurity(security);
    }

    private String deployLibvirtAgent(CommandSecurity security) throws Exception {
        return cluster.vertx().deployVerticle(new AgentVerticle(agentConfig("host-l", security),
                new LibvirtDriver(LibvirtDriverConfig.of("host-l", TEST_URI)), registry)).await(60, TimeUnit.SECONDS);
    }

    private static byte[] random() {
        byte[] b = new byte[32];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    private void writeKeys(Map<String, byte[]> keys) throws IOException {
        StringBuilder text = new StringBuilder("# test keys\n");
        keys.forEach((id, k) -> text.append(id).append('=').append(Base64.getEncoder().encodeToString(k)).append('\n'));
        Files.writeString(keyFile, text);
    }

    // ---- sending ----------------------------------------------------------------------------------

    private void send(String topic, String key, Envelope env) throws Exception {
        send(topic, key, codec.encode(env));
    }

    private void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** An unsigned command of a would-be balancer (epoch 0, so it cannot make a real leader's commands stale). */
    private static Envelope command(String id, Message body, long ts) {
        return new Envelope(Envelope.VERSION, id, ts, "balancer:test", 0, "", body);
    }

    private static Envelope command(String id, Message body) {
        return command(id, body, System.currentTimeMillis());
    }

    private static Migrate migrate(String guest, String source, String target) {
        return new Migrate(guest, source, target, MigrationMode.LIVE, MigrationOptions.move(),
                System.currentTimeMillis() + 600_000, "test");
    }

    private void toHost(String host, Envelope env) throws Exception {
        send(topics.commands(host), env.id(), env);
    }

    private static String id(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- observing --------------------------------------------------------------------------------

    private List<CommandResult> resultsOf(String commandId) {
        return tap.bodies(topics.commandResults(), CommandResult.class).stream()
                .filter(r -> r.commandId().equals(commandId)).toList();
    }

    private CommandResult finalResult(String commandId) {
        await().atMost(WAIT).until(() -> resultsOf(commandId).stream().anyMatch(r -> r.status().isFinal()));
        return resultsOf(commandId).stream().filter(r -> r.status().isFinal()).findFirst().orElseThrow();
    }

    private List<DeadLetter> deadLettersOf(String key, String rejectedBy) {
        return tap.bodies(topics.deadLetter(), DeadLetter.class).stream()
                .filter(d -> d.key().equals(key) && d.rejectedBy().equals(rejectedBy)).toList();
    }

    private DeadLetter deadLetter(String key, String rejectedBy) {
        await().atMost(WAIT).until(() -> !deadLettersOf(key, rejectedBy).isEmpty());
        return deadLettersOf(key, rejectedBy).get(0);
    }

    private double rejected(String host, String reason) {
        Counter c = registry.find("vb.agent.commands.rejected").tag("host", host).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private void assertRejected(String commandId, String reasonPart) {
        CommandResult r = finalResult(commandId);
        assertEquals(ResultStatus.REJECTED, r.status(), r.reason());
        assertTrue(r.reason().contains(reasonPart), r.reason());
        assertTrue(resultsOf(commandId).stream().noneMatch(x -> x.status() == ResultStatus.ACCEPTED), "never accepted");
    }

    // ---- the cases --------------------------------------------------------------------------------

    @Test
    @Order(1)
    void forgedCommandsAreRejectedWithTheirReasonToDeadLetterAndNothingMigrates() throws Exception {
        String unsigned = id("unsigned");
        String wrongKey = id("wrong-key");
        String unknownKey = id("unknown-key");
        String altered = id("altered");
        // The forgeries claim the highest leader epoch there is: were one believed, every real command would be stale.
        Envelope forged = new Envelope(Envelope.VERSION, unsigned, System.currentTimeMillis(), "balancer:b1",
                Long.MAX_VALUE / 2, "", migrate("web", "host-a", "host-b"));
        toHost("host-a", forged);
        toHost("host-a", SigningKeys.of(Map.of("k1", random())).signer("k1").sign(command(wrongKey, migrate("web", "host-a",
                "host-b"))));
        toHost("host-a", SigningKeys.of(Map.of("evil", key1)).signer("evil").sign(command(unknownKey, migrate("web", "host-a",
                "host-b"))));
        // A valid signature over a command for m1, then the guest changed to web on the way.
        String valid = codec.encodeToString(k1.sign(command(altered, migrate("m1", "host-a", "host-b"))));
        send(topics.commands("host-a"), altered, valid.replace("\"guest\":\"m1\"", "\"guest\":\"web\"")
                .getBytes(StandardCharsets.UTF_8));

        assertRejected(unsigned, "command refused: it is not signed; host host-a runs only commands signed with a key of "
                + keyFile);
        assertRejected(wrongKey, "its signature (key 'k1') does not match its content");
        assertRejected(unknownKey, "it is signed with key 'evil', which is not one of the keys [k1] accepted here");
        assertRejected(altered, "its signature (key 'k1') does not match its content: it was altered after signing");
        for (String forgery : List.of(unsigned, wrongKey, unknownKey, altered)) {
            DeadLetter letter = deadLetter(forgery, "agent:host-a");
            assertEquals(topics.commands("host-a"), letter.topic());
            assertEquals(finalResult(forgery).reason(), letter.reason());
        }
        assertEquals(1, rejected("host-a", "unsigned"));
        assertEquals(1, rejected("host-a", "unknown_key"));
        assertEquals(2, rejected("host-a", "bad_signature"));
        assertEquals(Optional.of("host-a"), fabric.hostOf("web"), "nothing migrated");
        assertEquals(Optional.of("host-a"), fabric.hostOf("m1"), "nothing migrated");
        assertTrue(Files.readString(state.resolve("host-a").resolve("executed-commands.log")).lines()
                .noneMatch(l -> l.contains(unsigned) || l.contains(altered)), "a forged id is not used up");
    }

    @Test
    @Order(2)
    void aReplayOfAValidSignedCommandIsRefusedAndDoesNotRunAgain() throws Exception {
        String there = id("there");
        byte[] thereBytes = codec.encode(k1.sign(command(there, migrate("m1", "host-a", "host-b"))));
        send(topics.commands("host-a"), there, thereBytes);
        assertEquals(ResultStatus.SUCCEEDED, finalResult(there).status(), finalResult(there).reason());
        String back = id("back");
        toHost("host-b", k1.sign(command(back, migrate("m1", "host-b", "host-a"))));
        assertEquals(ResultStatus.SUCCEEDED, finalResult(back).status(), finalResult(back).reason());
        assertEquals(Optional.of("host-a"), fabric.hostOf("m1"));

        send(topics.commands("host-a"), there, thereBytes);
        // Commands are handled in order: once this probe has its result, the replay has been handled too.
        String probe = id("probe");
        toHost("host-a", k1.sign(command(probe, migrate("ghost", "host-a", "host-b"))));
        assertRejected(probe, "guest ghost is not on host host-a");

        assertEquals(Optional.of("host-a"), fabric.hostOf("m1"), "the replay did not move m1 again");
        DeadLetter letter = deadLetter(there, "agent:host-a");
        assertTrue(letter.reason().startsWith("command refused: its id " + there + " was already acted on by host host-a"),
                letter.reason());
        assertEquals(1, rejected("host-a", "replayed"));
        assertEquals(1, resultsOf(there).stream().filter(r -> r.status() == ResultStatus.ACCEPTED).count());
        assertEquals(List.of(ResultStatus.SUCCEEDED), resultsOf(there).stream().map(CommandResult::status)
                .filter(ResultStatus::isFinal).toList(), "the first delivery's result stands alone");
    }

    @Test
    @Order(3)
    void aSignedCommandIssuedOutsideTheWindowIsRejectedAsExpired() throws Exception {
        String old = id("old");
        String future = id("future");
        long now = System.currentTimeMillis();
        toHost("host-a", k1.sign(command(old, migrate("web", "host-a", "host-b"), now - 10 * 60_000)));
        toHost("host-a", k1.sign(command(future, migrate("web", "host-a", "host-b"), now + 10 * 60_000)));

        assertRejected(old, "s before host host-a's clock, outside the 300 s either way it accepts (--signature-window)");
        assertRejected(future, "s after host host-a's clock");
        assertTrue(deadLetter(old, "agent:host-a").reason().contains("check that both hosts keep time (NTP)"));
        deadLetter(future, "agent:host-a");
        assertEquals(2, rejected("host-a", "expired"));
        assertEquals(Optional.of("host-a"), fabric.hostOf("web"), "nothing migrated");
    }

    @Test
    @Order(4)
    void theBalancerSignsWhatItSendsEndToEndAndActsOnlyOnSignedControl() throws Exception {
        // The CLI signs its request with the key file; the balancer's Migrate is signed by the balancer.
        InProcessVbal vbal = new InProcessVbal(kafka.bootstrapServers(), topics.prefix(), null, null);
        InProcessVbal.Run moved = vbal.run("migrate", "m3", "--to", "host-b", "--live", "--persistent", "--undefinesource",
                "--signing-key-file", keyFile.toString());
        assertEquals(0, moved.exit(), moved.all());
        assertEquals(Optional.of("host-b"), fabric.hostOf("m3"));
        Envelope issued = tap.envelopes(topics.commands("host-a"), Migrate.class)
                .filter(e -> ((Migrate) e.body()).guest().equals("m3")).findFirst().orElseThrow();
        assertEquals("balancer:s1", issued.source());
        assertTrue(issued.sig().startsWith("k1:") && issued.epoch() > 0, issued.toString());
        assertEquals(ResultStatus.SUCCEEDED, finalResult(issued.id()).status());

        // The API's control messages are signed with the balancer's key, and acted on.
        Envelope viaApi = cluster.balancer().control(new EnterMaintenance("rogue", "test"), "api")
                .await(30, TimeUnit.SECONDS);
        assertTrue(viaApi.sig().startsWith("k1:"), viaApi.sig());
        await().atMost(WAIT).until(() -> cluster.balancer().snapshot().maintenanceOf("rogue").isPresent());
        cluster.balancer().control(new ExitMaintenance("rogue"), "api").await(30, TimeUnit.SECONDS);

        // An unsigned control message is not acted on: it goes to the dead-letter topic.
        send(topics.control(), "host-b", Envelope.of("operator:mallory", new EnterMaintenance("host-b", "forged"),
                System.currentTimeMillis()));
        DeadLetter refused = deadLetter("host-b", "balancer:s1");
        assertTrue(refused.reason().startsWith("control message refused: it is not signed; this balancer acts only on"
                + " signed control messages (--require-signed-control)"), refused.reason());
        assertEquals(Optional.empty(), cluster.balancer().snapshot().maintenanceOf("host-b"), "host-b stays in service");
        assertEquals(1.0, registry.find("vb.dead.letters").tag("reason", "signature").tag("topic", topics.control())
                .counter().count());

        // The balancer followed the authentic commands it read back, and none of the forged ones.
        await().atMost(WAIT).untilAsserted(() -> {
            List<String> seen = cluster.balancer().snapshot().recentMigrations().stream().map(FinishedMigration::commandId)
                    .toList();
            assertTrue(seen.stream().anyMatch(c -> c.startsWith("there-")), "followed: " + seen);
            assertTrue(seen.contains(issued.id()), "followed: " + seen);
            assertTrue(seen.stream().noneMatch(c -> c.startsWith("unsigned-") || c.startsWith("wrong-key-")
                    || c.startsWith("unknown-key-") || c.startsWith("altered-")), "forged commands were ignored: " + seen);
            assertEquals(List.of(), cluster.balancer().snapshot().inFlight().stream().map(MigrationSnapshot::commandId)
                    .toList(), "nothing in flight");
        });
    }

    @Test
    @Order(5)
    void duringARotationBothKeysAreAcceptedAndTheOldOneIsRefusedOnceRemoved() throws Exception {
        try {
            writeKeys(Map.of("k1", key1, "k2", key2));
            String byNew = id("by-new");
            toHost("host-a", k2.sign(command(byNew, migrate("m2", "host-a", "host-b"))));
            assertEquals(ResultStatus.SUCCEEDED, finalResult(byNew).status(), finalResult(byNew).reason());
            assertEquals(Optional.of("host-b"), fabric.hostOf("m2"));
            String byOld = id("by-old");
            toHost("host-a", k1.sign(command(byOld, migrate("ghost", "host-a", "host-b"))));
            // Past every signature check: refused only because there is no such guest.
            assertRejected(byOld, "guest ghost is not on host host-a");

            writeKeys(Map.of("k2", key2));
            String oldRemoved = id("old-removed");
            toHost("host-a", k1.sign(command(oldRemoved, migrate("web", "host-a", "host-b"))));
            assertRejected(oldRemoved, "it is signed with key 'k1', which is not one of the keys [k2] accepted here");
            String newStays = id("new-stays");
            toHost("host-a", k2.sign(command(newStays, migrate("ghost", "host-a", "host-b"))));
            assertRejected(newStays, "guest ghost is not on host host-a");
            assertEquals(Optional.of("host-a"), fabric.hostOf("web"), "nothing migrated on the old key");
            assertEquals(2, rejected("host-a", "unknown_key"));
        } finally {
            writeKeys(Map.of("k1", key1));
        }
    }

    @Test
    @Order(6)
    void aCommandNamingAHostOutsideTheClusterIsRejectedAndNothingConnectsThere() throws Exception {
        String port = String.valueOf(trap.getLocalPort());
        // A name that is the trap's address: were a target taken from the message, libvirt would go there.
        String outside = id("outside");
        MigrationOptions toTrap = new MigrationOptions(true, true, false, null, 0, "tcp://127.0.0.1:" + port, 0, false, 0,
                false, false, false, 0, 0, false);
        toHost("host-l", k1.sign(command(outside, new Migrate("test", "host-l", "127.0.0.1:" + port, MigrationMode.LIVE,
                toTrap, System.currentTimeMillis() + 600_000, "forged"))));
        assertRejected(outside, "target host 127.0.0.1:" + port + " is not a known host of the cluster");
        assertEquals(1, rejected("host-l", "unknown_target"));
        assertEquals(0, trapConnections.get(), "nothing connected to the address the command named");

        Connect other = new Connect(TEST_URI);
        try {
            StoragePool pool = other.storagePoolLookupByName("default-pool");
            String guest = id("trapped");
            StorageVol vol = pool.storageVolCreateXML("<volume><name>" + guest + ".qcow2</name><capacity unit='MiB'>1"
                    + "</capacity></volume>", 0);
            Domain dom = other.domainCreateXML("<domain type='test'><name>" + guest + "</name><memory unit='MiB'>64</memory>"
                    + "<os><type arch='i686'>hvm</type></os><devices><disk type='volume' device='disk'><driver name='qemu'"
                    + " cache='none'/><source pool='default-pool' volume='" + guest + ".qcow2'/><target dev='vda'"
                    + " bus='virtio'/></disk></devices></domain>", 0);
            try {
                // The control: "rogue" is in the (forged) inventory and host-l has no allow-list, so the command is
                // accepted and libvirt connects to the trap. The socket does see what would connect.
                String letThrough = id("let-through");
                toHost("host-l", k1.sign(command(letThrough, migrate(guest, "host-l", "rogue"))));
                assertEquals(ResultStatus.FAILED, finalResult(letThrough).status(), finalResult(letThrough).reason());
                assertTrue(trapConnections.get() >= 1, "libvirt went to the forged inventory's address");
                int before = trapConnections.get();

                // With an allow-list, a host that is in the inventory but not on the list gets nothing.
                cluster.stopAgent("host-l");
                deployLibvirtAgent(CommandSecurity.NONE.withKeyFile(keyFile)
                        .withAllowedTargets(Set.of("host-a", "host-b")));
                String notAllowed = id("not-allowed");
                toHost("host-l", k1.sign(command(notAllowed, migrate(guest, "host-l", "rogue"))));
                assertRejected(notAllowed, "target host rogue is not one of the hosts host host-l may migrate to (host-a,"
                        + " host-b, from --allowed-targets): nothing was started");
                assertEquals(1, rejected("host-l", "target_not_allowed"));
                assertEquals(before, trapConnections.get(), "nothing connected to the host off the allow-list");
            } finally {
                dom.destroy();
                dom.free();
                vol.delete(0);
                vol.free();
                pool.free();
            }
        } finally {
            other.close();
        }
    }
}
