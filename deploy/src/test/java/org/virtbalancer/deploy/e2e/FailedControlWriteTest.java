package org.virtbalancer.deploy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.deploy.kafka.KafkaCluster;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.Topics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A control write reported as failed never takes effect later. On a real three-node KRaft cluster
 * (topics replicated 3 times, {@code min.insync.replicas} 2, made by {@code vbal topics create}) with
 * a balancer and three simulated hosts: two of the three brokers are killed, leaving the one that
 * leads every partition, so Kafka still answers but can commit nothing (no controller to shrink the
 * in-sync replicas, too few of them alive). During that one outage three writers try at once, each
 * for a host of its own: {@code vbal maintenance enter --wait}, the HTTP API, and the live page's
 * "Enter maintenance" button in headless Chromium; each is reported failed naming the real cause (the
 * page shows the API's sentence). The brokers come back; once a later control write is seen by the
 * balancer (so everything written before it has been read), no failed write has taken effect: no
 * host is in maintenance, no guest moved, and no committed EnterMaintenance for any of them written
 * since the outage began is on the topic.
 * Before control writes were transactional, the surviving leader kept the record in its log and
 * committed it when its followers returned, draining the host minutes after "failed".
 * A healthy write, from the CLI and from the API, is confirmed and takes effect. And when the two
 * brokers die between the record's acknowledgement and its commit, vbal says that Kafka took the
 * write without confirming it (exit 7), never "failed", and the balancer later acts on it exactly
 * when it is committed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailedControlWriteTest {
    private static final String TOKEN = "failed-write-test-token-0123";
    private static final int KEEPER = 1;
    private static final List<String> HOSTS = List.of("host-1", "host-2", "host-3");
    /** The hosts the three writers try to put in maintenance while only the keeper runs. */
    private static final String CLI_HOST = "host-2";
    private static final String API_HOST = "host-3";
    private static final String PAGE_HOST = "host-1";

    @TempDir
    static Path dir;
    private KafkaCluster kafka;
    private ClusterFixture fx;
    private InProcessVbal vbal;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = new ObjectMapper();
    /** Control writes made to see that the cluster recovered: each a SetAutomation. */
    private int laterWrites;

    @BeforeAll
    void start() throws Exception {
        kafka = KafkaCluster.create(dir.resolve("kafka"));
        kafka.startAll();
        Topics topics = ClusterFixture.freshTopics();
        InProcessVbal.Run created = new InProcessVbal(kafka.bootstrapServers(), topics.prefix(), null, null)
                .run("topics", "create", "--replication-factor", "3", "--hosts", String.join(",", HOSTS));
        assertEquals(0, created.exit(), created.all());

        SimulatedFabric.Builder b = SimulatedFabric.builder().migrationSpeedup(50);
        for (String h : HOSTS) {
            b.host(HostSpec.of(h).withCpus(8).withMemoryMiB(32768));
        }
        b.guest("host-1", GuestSpec.of("a-1").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        b.guest("host-2", GuestSpec.of("b-1").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        b.guest("host-2", GuestSpec.of("b-2").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        b.guest("host-3", GuestSpec.of("c-1").withVcpus(1).withMemoryMiB(1024).withConstantCpu(0.3));
        fx = new ClusterFixture(kafka.bootstrapServers(), topics, b.build(), ClusterFixture.testSettings(),
                ApiEndpoint.loopback(0).withToken(TOKEN));
        vbal = InProcessVbal.against(fx);
        await().atMost(Duration.ofSeconds(90)).until(() -> fx.cluster.balancer().snapshot().hosts().size() == 3
                && fx.cluster.balancer().snapshot().hosts().stream().noneMatch(HostSnapshot::stale));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (fx != null) {
                fx.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    @Order(1)
    void aWriteOnAHealthyClusterIsConfirmedAndTakesEffect() throws Exception {
        InProcessVbal.Run enter = vbal.run("maintenance", "enter", "host-3", "--wait", "--timeout", "120s");
        assertEquals(0, enter.exit(), enter.all());
        assertTrue(enter.out().contains("IN_MAINTENANCE"), enter.out());
        assertEquals(List.of(), fx.fabric.guests("host-3"));

        HttpResponse<String> exit = post("/api/maintenance/host-3/exit", null);
        assertEquals(202, exit.statusCode(), exit.body());
        await().atMost(Duration.ofSeconds(60)).until(() -> maintenance("host-3") == MaintenanceState.ACTIVE);
    }

    @Test
    @Order(2)
    void maintenanceTheCliTheApiOrThePageReportsFailedNeverTakesEffectWhenTheBrokersReturn() throws Exception {
        Map<String, List<String>> before = new TreeMap<>();
        for (String host : HOSTS) {
            before.put(host, guestsOf(host));
        }
        InProcessVbal.Run cli;
        HttpResponse<String> api;
        String notice;
        long outageBegan;
        ExecutorService writers = Executors.newFixedThreadPool(3);
        try (HeadlessChromium chromium = HeadlessChromium.start(1440, 1000)) {
            WebDriver page = chromium.driver;
            page.get(fx.apiUrl() + "/ui/#token=" + TOKEN);
            within(page, 60).until(d -> d.findElements(By.cssSelector("article[data-host]")).size() == 3);
            try {
                leaveOnlyTheKeeper();
                outageBegan = System.currentTimeMillis();
                // The three writers at once, each for a host of its own: one outage for all. The API takes one write
                // at a time, so the page's and the API's requests are answered one after the other.
                Future<InProcessVbal.Run> cliWrite = writers.submit(
                        () -> vbal.run("maintenance", "enter", CLI_HOST, "--wait", "--timeout", "60s"));
                // What the live page's "Enter maintenance" button sends.
                Future<HttpResponse<String>> apiWrite = writers.submit(
                        () -> post("/api/maintenance/" + API_HOST + "/enter", "{\"reason\": \"kernel update\"}"));
                Future<String> buttonWrite = writers.submit(() -> pressEnterMaintenance(chromium, PAGE_HOST));
                // Every writer has given its answer before the brokers return.
                cli = cliWrite.get(5, TimeUnit.MINUTES);
                api = apiWrite.get(5, TimeUnit.MINUTES);
                notice = buttonWrite.get(5, TimeUnit.MINUTES);
            } finally {
                writers.shutdownNow();
                kafka.startAll();
            }
        }
        System.out.println("vbal maintenance enter " + CLI_HOST + " with two of three brokers down: " + cli.all());
        System.out.println("POST /api/maintenance/" + API_HOST + "/enter with two of three brokers down: "
                + api.statusCode() + " " + api.body());
        System.out.println("the page's button for " + PAGE_HOST + ", two of three brokers down: " + notice);

        assertEquals(1, cli.exit(), cli.all());
        assertRealCause(cli.err());
        assertTrue(cli.err().startsWith("error: Kafka answers at "), cli.err());
        assertEquals(1, cli.err().lines().count(), "one sentence: " + cli.err());

        assertEquals(503, api.statusCode(), api.body());
        JsonNode answer = json.readTree(api.body());
        List<String> fields = new ArrayList<>();
        answer.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("error"), fields, "the API's error shape: " + api.body());
        String apiSentence = answer.get("error").asText();
        assertRealCause(apiSentence);

        // The page shows the API's sentence (the same diagnosis of the same outage) after what failed.
        assertEquals("Enter maintenance on " + PAGE_HOST + " failed: " + apiSentence, notice);

        // Recovered: a later write goes through and the balancer has read it (and everything before it).
        awaitAllInSync();
        awaitLaterWrite(() -> put("/api/automation", "{\"level\": \"partial\"}").statusCode() == 202,
                AutomationLevel.PARTIAL);
        assertNeverTookEffect(before, outageBegan, AutomationLevel.PARTIAL);
    }

    /** Enter maintenance on {@code host} from the live page, as an operator does; the error notice it shows. */
    private String pressEnterMaintenance(HeadlessChromium chromium, String host) throws Exception {
        WebDriver page = chromium.driver;
        page.findElement(By.cssSelector("article[data-host='" + host + "'] button[data-action='enter']")).click();
        within(page, 30).until(d -> visible(d, By.id("enter-reason"))).sendKeys("kernel update");
        page.findElement(By.id("enter-confirm")).click();
        within(page, 240).until(d -> visible(d, By.cssSelector("#notice[data-kind='error']")));
        String notice = page.findElement(By.id("notice-text")).getText();
        java.nio.file.Files.write(HeadlessChromium.screenshots().resolve("failed-write.png"),
                chromium.driver.getScreenshotAs(OutputType.BYTES));
        return notice;
    }

    /** The sentence names what is wrong with Kafka, not "start the demo", and says nothing was written. */
    private static void assertRealCause(String sentence) {
        assertTrue(sentence.contains("Kafka answers at "), sentence);
        assertTrue(sentence.contains("only broker " + KEEPER + " of the 3 registered answers"), sentence);
        assertTrue(sentence.contains("in-sync replica") && sentence.contains("min.insync.replicas=2"), sentence);
        assertTrue(sentence.contains("start the brokers that are down (2, 3)"), sentence);
        assertTrue(sentence.contains("nothing was written"), sentence);
        assertFalse(sentence.contains("start the demo"), sentence);
    }

    /** Whether {@code tap} has read as far as the latest later write (which set {@code level}). */
    private boolean hasReadTheLaterWrite(TopicTap tap, AutomationLevel level) {
        List<SetAutomation> levels = tap.bodies(fx.topics.control(), SetAutomation.class);
        return levels.size() >= laterWrites && levels.get(levels.size() - 1).equals(new SetAutomation(level));
    }

    /** Retries {@code write} until it is confirmed, then waits until the balancer shows {@code level}. */
    private void awaitLaterWrite(java.util.concurrent.Callable<Boolean> write, AutomationLevel level) {
        laterWrites++;
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(write);
        await().atMost(Duration.ofMinutes(2)).until(() -> fx.cluster.balancer().snapshot().automation() == level);
    }

    /**
     * None of the failed writes took effect: each host is not in maintenance and kept its guests, and no reader
     * of the control topic (read_committed) sees an EnterMaintenance for any of them written since {@code since},
     * only the later write.
     */
    private void assertNeverTookEffect(Map<String, List<String>> guestsBefore, long since, AutomationLevel laterLevel)
            throws Exception {
        for (var host : guestsBefore.entrySet()) {
            assertEquals(MaintenanceState.ACTIVE, maintenance(host.getKey()), host.getKey());
            assertEquals(host.getValue(), guestsOf(host.getKey()), host.getKey() + "'s guests stayed where they were");
        }
        try (TopicTap committed = new TopicTap(fx.kafka, true)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> hasReadTheLaterWrite(committed, laterLevel));
            List<Envelope> entered = committed.envelopes(fx.topics.control(), EnterMaintenance.class)
                    .filter(e -> e.ts() >= since && guestsBefore.containsKey(((EnterMaintenance) e.body()).host()))
                    .toList();
            assertEquals(List.of(), entered, "committed since the outage began");
        }
        // Still so a while later: the balancer acts on what it reads within a tick.
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
                .until(() -> guestsBefore.keySet().stream().allMatch(h -> maintenance(h) == MaintenanceState.ACTIVE));
    }

    /** Waits until every partition, the internal ones too, has all its replicas in sync: the brokers are back. */
    private void awaitAllInSync() throws Exception {
        try (Admin admin = Admin.create(new HashMap<>(fx.kafka.admin("test-in-sync")))) {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
                return admin.describeTopics(names).allTopicNames().get().values().stream()
                        .flatMap(t -> t.partitions().stream())
                        .allMatch(p -> p.leader() != null && p.isr().size() == p.replicas().size());
            });
        }
    }

    @Test
    @Order(3)
    void aCommitKafkaTookButDidNotConfirmIsReportedAsSuchNotAsFailed() throws Exception {
        // The record is acknowledged by all three replicas; right then, before the commit leaves, two brokers die:
        // the coordinator (on the keeper) cannot make the commit durable, so nobody can say whether it will be.
        leadEverythingFromTheKeeper();
        // vbal waits three times its Kafka answer time for a write: 15 s here rather than the default 30 s.
        Path config = java.nio.file.Files.writeString(dir.resolve("kill-on-ack.properties"),
                "interceptor.classes=" + KillOnAcknowledgement.class.getName() + "\n"
                        + "default.api.timeout.ms=5000\n");
        KillOnAcknowledgement.arm(this::killAllButTheKeeper);
        InProcessVbal.Run enter;
        try {
            enter = vbal.run("maintenance", "enter", "host-1", "--kafka-config", config.toString());
        } finally {
            KillOnAcknowledgement.disarm();
            kafka.startAll();
        }
        System.out.println("vbal maintenance enter, brokers killed between acknowledgement and commit: " + enter.all());
        assertEquals(7, enter.exit(), enter.all());
        assertTrue(enter.err().startsWith("error: Kafka took the write but did not confirm it within 15 s; it may still"
                + " take effect when Kafka recovers — Kafka answers at "), enter.err());
        assertTrue(enter.err().endsWith("; check with vbal maintenance status host-1\n"), enter.err());
        assertFalse(enter.err().contains("nothing was written"), enter.err());

        // Whatever Kafka made of it, every reader agrees: the balancer acts on it exactly when it is committed.
        awaitAllInSync();
        awaitLaterWrite(() -> vbal.run("automation", "set", "manual").exit() == 0, AutomationLevel.MANUAL);
        try (TopicTap committed = new TopicTap(fx.kafka, true)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> hasReadTheLaterWrite(committed, AutomationLevel.MANUAL));
            boolean tookEffect = committed.bodies(fx.topics.control(), EnterMaintenance.class).stream()
                    .anyMatch(e -> e.host().equals("host-1"));
            System.out.println("the unconfirmed EnterMaintenance " + (tookEffect ? "took effect" : "did not take effect"));
            await().atMost(Duration.ofSeconds(30)).until(() -> (maintenance("host-1") != MaintenanceState.ACTIVE) == tookEffect);
        }
    }

    private static WebDriverWait within(WebDriver page, int seconds) {
        WebDriverWait wait = new WebDriverWait(page, Duration.ofSeconds(seconds), Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static WebElement visible(WebDriver d, By by) {
        return d.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null);
    }

    /** A producer interceptor that runs a hook once, on the first acknowledgement, before the producer goes on. */
    public static final class KillOnAcknowledgement implements ProducerInterceptor<String, byte[]>,
            ConsumerInterceptor<String, byte[]> {
        private static final AtomicReference<Runnable> HOOK = new AtomicReference<>();

        static void arm(Runnable hook) {
            HOOK.set(hook);
        }

        static void disarm() {
            HOOK.set(null);
        }

        @Override
        public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            Runnable hook = HOOK.getAndSet(null);
            if (hook != null && exception == null) {
                hook.run();
            }
        }

        // vbal hands its --kafka-config to its consumer too: there it does nothing.
        @Override
        public ConsumerRecords<String, byte[]> onConsume(ConsumerRecords<String, byte[]> records) {
            return records;
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(Map<String, ?> configs) {
        }
    }

    /** Makes {@link #KEEPER} lead every partition, then kills the other two brokers. */
    private void leaveOnlyTheKeeper() throws Exception {
        leadEverythingFromTheKeeper();
        killAllButTheKeeper();
    }

    private void killAllButTheKeeper() {
        for (int node : kafka.nodeIds()) {
            if (node != KEEPER) {
                kafka.kill(node);
            }
        }
    }

    /**
     * Makes {@link #KEEPER} lead every partition, the transaction coordinator's included (its replicas
     * listed first, then a preferred election): with the other two brokers gone, Kafka answers with every
     * leader alive but can commit nothing (no controller to shrink the in-sync replicas).
     */
    private void leadEverythingFromTheKeeper() throws Exception {
        try (Admin admin = Admin.create(new HashMap<>(fx.kafka.admin("test-leaders")))) {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
            Map<TopicPartition, Optional<NewPartitionReassignment>> reorder = new HashMap<>();
            for (TopicDescription t : described.values()) {
                for (TopicPartitionInfo p : t.partitions()) {
                    List<Integer> replicas = new ArrayList<>(p.replicas().stream().map(Node::id).toList());
                    if (replicas.get(0) != KEEPER && replicas.remove(Integer.valueOf(KEEPER))) {
                        replicas.add(0, KEEPER);
                        reorder.put(new TopicPartition(t.name(), p.partition()),
                                Optional.of(new NewPartitionReassignment(replicas)));
                    }
                }
            }
            admin.alterPartitionReassignments(reorder).all().get();
            await().atMost(Duration.ofSeconds(60)).until(() -> admin.listPartitionReassignments().reassignments().get()
                    .isEmpty());
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                // Partitions already led by the keeper answer "election not needed"; the rest move to it.
                admin.electLeaders(ElectionType.PREFERRED, null).partitions().get();
                List<String> elsewhere = new ArrayList<>();
                admin.describeTopics(names).allTopicNames().get().values().forEach(t -> t.partitions().forEach(p -> {
                    if (p.leader() == null || p.leader().id() != KEEPER) {
                        elsewhere.add(t.name() + "-" + p.partition());
                    }
                }));
                return elsewhere.isEmpty();
            });
        }
    }

    private MaintenanceState maintenance(String host) {
        return fx.cluster.balancer().snapshot().host(host).orElseThrow().maintenance();
    }

    private List<String> guestsOf(String host) {
        return fx.fabric.guests(host).stream().map(g -> g.name()).sorted().toList();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return call("POST", path, body);
    }

    private HttpResponse<String> put(String path, String body) throws Exception {
        return call("PUT", path, body);
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(fx.apiUrl() + path))
                .timeout(Duration.ofMinutes(4))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
