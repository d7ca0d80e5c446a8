package org.virtbalancer.deploy.e2e;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.virtbalancer.agent.AgentConfig;
import org.virtbalancer.agent.sim.GuestSpec;
import org.virtbalancer.agent.sim.HostSpec;
import org.virtbalancer.agent.sim.SimulatedFabric;
import org.virtbalancer.balancer.service.ApiEndpoint;
import org.virtbalancer.balancer.service.BalancerConfig;
import org.virtbalancer.balancer.service.HttpApi;
import org.virtbalancer.deploy.demo.LocalCluster;
import org.virtbalancer.deploy.e2e.FuzzInputs.Input;
import org.virtbalancer.deploy.e2e.FuzzInputs.Target;
import org.virtbalancer.deploy.kafka.EmbeddedKafka;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.ControlKey;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.Topics;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/**
 * The fuzzing harness: three simulated hosts with real agents and a real balancer (with its HTTP
 * API, token-protected, plus a second read-only API over the same balancer) on the real broker,
 * fed with {@link FuzzInputs} through every topic they consume, and watched for what the
 * acceptance of issue 8 asks: nothing crashes, nothing is logged as an error or an uncaught
 * exception, every rejected record reaches the dead-letter topic with a reason from each consumer
 * of its topic, every command an agent can read gets its result, and the heap stays flat.
 *
 * <p>The rule for dead letters, exactly: a record is <em>rejected</em> when the protocol's
 * {@link Codec} refuses it (not JSON, not an envelope, a field missing, of the wrong type or out of
 * range) or when it is a valid message of a type that does not belong on its topic. Each consumer
 * of that topic writes one dead letter for it, with a non-empty reason: the balancer for every
 * topic it reads, each agent for the inventory topic, and a host's agent for its command topic. A
 * valid message that is semantically wrong is not rejected but answered: a command an agent cannot
 * carry out (unknown guest or target, wrong source, past deadline, guest busy) gets a REJECTED
 * result with the reason on the results topic; samples, events and results about unknown hosts,
 * guests or commands are ignored; a command id seen before is a redelivery, acted on once.
 */
final class FuzzRun implements AutoCloseable {
    static final String TOKEN = "fuzz-api-token-0123456789abcdef";
    static final List<String> HOSTS = List.of("host-1", "host-2", "host-3");
    static final Map<String, List<String>> GUESTS = Map.of(
            "host-1", List.of("web-1", "web-2"),
            "host-2", List.of("db-1", "web-3"),
            "host-3", List.of("cache-1", "web-4"));
    private static final String BALANCER_ID = "fz";

    final KafkaSettings kafka;
    final Topics topics;
    final SimulatedFabric fabric;
    final LocalCluster cluster;
    final HttpApi readOnlyApi;
    final LogCapture logs;
    final AtomicLong uncaught = new AtomicLong();
    final FuzzInputs inputs;
    final Path tokenFile;
    private final KafkaProducer<String, byte[]> producer;
    private final Collector collector;
    private final Codec codec = new Codec();
    private final List<String> topicIndex;
    private final Thread.UncaughtExceptionHandler previousHandler;
    private final Map<String, Set<String>> commandIdsSeen = new HashMap<>();

    private FuzzRun(EmbeddedKafka broker, long seed) throws Exception {
        this.logs = LogCapture.install();
        this.previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            uncaught.incrementAndGet();
            if (previousHandler != null) previousHandler.uncaughtException(t, e);
        });
        this.topics = new Topics("fz" + UUID.randomUUID().toString().substring(0, 8) + ".");
        this.kafka = KafkaSettings.of(broker.bootstrapServers()).withTopics(topics);
        SimulatedFabric.Builder b = SimulatedFabric.builder();
        HOSTS.forEach(h -> b.host(HostSpec.of(h).withCpus(8).withMemoryMiB(32768)));
        GUESTS.forEach((h, gs) -> gs.forEach(g -> b.guest(h, GuestSpec.of(g).withVcpus(1).withMemoryMiB(1024)
                .withConstantCpu(0.3))));
        this.fabric = b.build();
        Path state = Files.createTempDirectory("vb-fuzz-");
        this.tokenFile = state.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        this.cluster = LocalCluster.start(
                BalancerConfig.of(BALANCER_ID, kafka).withSettings(ClusterFixture.testSettings())
                        .withTick(Duration.ofMillis(250)).withApi(ApiEndpoint.loopback(0).withToken(TOKEN)),
                fabric, fabric.hosts(),
                host -> AgentConfig.of(host, kafka, state.resolve(host))
                        .withSampleInterval(Duration.ofMillis(250))
                        .withInventoryInterval(Duration.ofSeconds(2))
                        .withProgressInterval(Duration.ofMillis(200)),
                new SimpleMeterRegistry());
        cluster.vertx().exceptionHandler(e -> uncaught.incrementAndGet());
        this.readOnlyApi = HttpApi.start(cluster.vertx(), ApiEndpoint.loopback(0), cluster.balancer())
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Map<String, Object> p = new HashMap<>(kafka.producer("fuzz"));
        p.put("linger.ms", "20");
        p.put("batch.size", String.valueOf(256 * 1024));
        p.put("max.request.size", String.valueOf(1024 * 1024));
        this.producer = new KafkaProducer<>(p);
        this.topicIndex = new ArrayList<>(List.of(topics.inventory(), topics.hostLoad(), topics.domainEvents(),
                topics.commandResults(), topics.control()));
        HOSTS.forEach(h -> topicIndex.add(topics.commands(h)));
        this.collector = new Collector();
        this.inputs = new FuzzInputs(seed, HOSTS, GUESTS);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.balancer().snapshot().hosts().size() == 3
                && cluster.balancer().snapshot().hosts().stream().noneMatch(h -> h.stale())
                && cluster.balancer().instance().role().equals("LEADER"));
    }

    static FuzzRun start(EmbeddedKafka broker, long seed) throws Exception {
        return new FuzzRun(broker, seed);
    }

    String apiUrl() {
        return cluster.balancer().apiUrl().orElseThrow();
    }

    String readOnlyApiUrl() {
        return readOnlyApi.url();
    }

    // ------------------------------------------------------------------ Kafka rounds

    /** What one round through the topics did and found. */
    record KafkaRound(Map<Target, Integer> sent, long heapAfterMiB, long bytes, long producedMillis, long millis, long sendFailures, long rejectedInputs,
                      long expectedLetters, long lettersSeen, long missingLetters, long emptyReasons,
                      long unexpectedLetters, List<String> unexpectedSamples, List<String> missingSamples,
                      long commandsExpectingResult, long missingResults, long resultsWithoutReason,
                      Map<String, Long> rejectedBy, long refusedControl, Map<String, Long> lastMillis) {
        int total() {
            return sent.values().stream().mapToInt(Integer::intValue).sum();
        }

        boolean clean() {
            return sendFailures == 0 && missingLetters == 0 && emptyReasons == 0 && unexpectedLetters == 0
                    && missingResults == 0 && resultsWithoutReason == 0;
        }
    }

    /** Sends {@code counts} inputs per topic kind, interleaved, and waits until every consumer has answered. */
    KafkaRound kafkaRound(Map<Target, Integer> counts, Duration settleAtMost) {
        collector.clear();
        List<Target> order = new ArrayList<>();
        counts.forEach((t, n) -> {
            for (int i = 0; i < n; i++) order.add(t);
        });
        // Interleave deterministically.
        for (int i = order.size() - 1; i > 0; i--) {
            int j = inputs.random().nextInt(i + 1);
            Target x = order.get(i);
            order.set(i, order.get(j));
            order.set(j, x);
        }
        Map<Target, Integer> sent = new EnumMap<>(Target.class);
        AtomicLong sendFailures = new AtomicLong();
        long rejected = 0;
        long bytes = 0;
        long started = System.nanoTime();
        for (Target t : order) {
            Input in = inputs.next(t);
            String topic = topicOf(in);
            int rejecters = expectedRejecters(in);
            if (rejecters != 0) {
                rejected++;
            } else if (in.target() == Target.COMMANDS) {
                expectResult(in);
            }
            int topicNo = topicIndex.indexOf(topic);
            producer.send(new ProducerRecord<>(topic, in.key(), in.value()), (md, e) -> {
                if (e != null) {
                    sendFailures.incrementAndGet();
                    collector.sendFailure(in.mutation() + ": " + e);
                } else if (rejecters != 0) {
                    collector.expect(key(topicNo, md.partition(), md.offset()), rejecters);
                }
            });
            sent.merge(t, 1, Integer::sum);
            bytes += in.value().length;
        }
        producer.flush();
        long producedMillis = (System.nanoTime() - started) / 1_000_000;
        try {
            await().atMost(settleAtMost).pollInterval(Duration.ofMillis(500)).until(collector::settled);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // reported below as missing letters or results
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        return collector.report(sent, measureHeap ? heapUsedMiB() : -1, bytes, producedMillis, millis, sendFailures.get(), rejected, started);
    }

    private String topicOf(Input in) {
        return switch (in.target()) {
            case INVENTORY -> topics.inventory();
            case HOST_LOAD -> topics.hostLoad();
            case DOMAIN_EVENTS -> topics.domainEvents();
            case COMMAND_RESULTS -> topics.commandResults();
            case CONTROL -> topics.control();
            case COMMANDS -> topics.commands(in.host());
        };
    }

    /** Bit 0: the balancer; bit i: the agent of HOSTS[i-1]. Zero when the record is not rejected. */
    private int expectedRejecters(Input in) {
        Decoded d = codec.decode(in.value());
        if (d instanceof Decoded.Ok ok && belongs(in.target(), ok.envelope().body())) {
            return 0;
        }
        int mask = 1;
        if (in.target() == Target.INVENTORY) {
            mask |= 0b1110;
        } else if (in.target() == Target.COMMANDS) {
            mask |= 1 << (HOSTS.indexOf(in.host()) + 1);
        }
        return mask;
    }

    static boolean belongs(Target target, Message m) {
        return switch (target) {
            case INVENTORY -> m instanceof Inventory;
            case HOST_LOAD -> m instanceof HostLoad;
            case DOMAIN_EVENTS -> m instanceof DomainEvent;
            case COMMAND_RESULTS -> m instanceof CommandResult;
            case CONTROL -> m instanceof EnterMaintenance || m instanceof ExitMaintenance || m instanceof SetAutomation
                    || m instanceof ApprovePlan || m instanceof RequestMigration || m instanceof RequestOutcome;
            case COMMANDS -> m instanceof Migrate || m instanceof Abort;
        };
    }

    /** A valid command with an id its agent has not seen must be answered on the results topic. */
    private void expectResult(Input in) {
        Envelope env = ((Decoded.Ok) codec.decode(in.value())).envelope();
        if (commandIdsSeen.computeIfAbsent(in.host(), h -> new HashSet<>()).add(env.id())) {
            collector.expectResult(in.host() + " " + env.id());
        }
    }

    private volatile boolean keepLetters;
    private boolean measureHeap = true;

    /** Whether each round ends with a reading of the heap after full collections. */
    void measureHeap(boolean measure) {
        measureHeap = measure;
    }

    /** Keeps every dead letter from now on (a small run's tests look at their reasons). */
    void keepLetters() {
        keepLetters = true;
    }

    /** The dead letters kept since {@link #keepLetters()}. */
    List<DeadLetter> keptLetters() {
        return List.copyOf(collector.kept);
    }

    /** Sends one record as it is, as an operator's (or attacker's) producer would. */
    void sendRaw(String topic, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .get(30, TimeUnit.SECONDS);
    }

    private static long key(int topic, int partition, long offset) {
        return ((long) topic << 56) | ((long) partition << 48) | offset;
    }

    /** Reads the dead-letter and results topics and ticks off what each round expects. */
    private final class Collector implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private final Object lock = new Object();
        private final Map<Long, Integer> expected = new HashMap<>();
        private final Map<Long, Integer> seen = new HashMap<>();
        private final Set<String> resultsExpected = ConcurrentHashMap.newKeySet();
        private final Set<String> resultsSeen = ConcurrentHashMap.newKeySet();
        private final Map<String, Long> rejectedBy = new ConcurrentHashMap<>();
        private final AtomicLong emptyReasons = new AtomicLong();
        private final AtomicLong resultsWithoutReason = new AtomicLong();
        private final AtomicLong lettersSeen = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final List<DeadLetter> kept = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** When the last dead letter of each consumer, and the last expected result of each agent, came. */
        private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
        private final List<String> sendFailures = new ArrayList<>();
        private final AtomicReference<Boolean> ready = new AtomicReference<>(false);

        Collector() {
            Map<String, Object> config = new HashMap<>(kafka.consumer("fuzz-collector", topics.prefix() + "fuzz-collector"));
            config.put("isolation.level", "read_uncommitted");
            config.put("auto.offset.reset", "earliest");
            config.put("max.poll.records", "2000");
            consumer = new KafkaConsumer<>(config);
            consumer.subscribe(List.of(topics.deadLetter(), topics.commandResults()));
            thread = new Thread(this::run, "fuzz-collector");
            thread.setDaemon(true);
            thread.start();
            await().atMost(Duration.ofSeconds(30)).until(ready::get);
        }

        private void run() {
            try {
                while (running) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    if (!consumer.assignment().isEmpty()) {
                        ready.set(true);
                    }
                    for (ConsumerRecord<String, byte[]> r : records) {
                        if (!(codec.decode(r.value()) instanceof Decoded.Ok ok)) {
                            continue;
                        }
                        if (r.topic().equals(topics.deadLetter())) {
                            if (ok.envelope().body() instanceof DeadLetter dl) {
                                onLetter(dl);
                            }
                        } else if (ok.envelope().body() instanceof CommandResult cr
                                && ok.envelope().source().equals("agent:" + cr.host())) {
                            if (resultsExpected.contains(cr.host() + " " + cr.commandId())) {
                                resultsSeen.add(cr.host() + " " + cr.commandId());
                                lastSeen.put("results " + cr.host(), System.nanoTime());
                            }
                            if ((cr.status() == ResultStatus.REJECTED || cr.status() == ResultStatus.FAILED)
                                    && cr.reason().isBlank()) {
                                resultsWithoutReason.incrementAndGet();
                            }
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }

        private void onLetter(DeadLetter dl) {
            int topicNo = topicIndex.indexOf(dl.topic());
            lettersSeen.incrementAndGet();
            if (keepLetters && kept.size() < 100_000) {
                kept.add(dl);
            }
            rejectedBy.merge(dl.rejectedBy(), 1L, Long::sum);
            lastSeen.put(dl.rejectedBy(), System.nanoTime());
            if (dl.reason().isBlank()) {
                emptyReasons.incrementAndGet();
            }
            int bit = dl.rejectedBy().startsWith("balancer:") ? 1
                    : dl.rejectedBy().startsWith("agent:") ? 1 << (HOSTS.indexOf(dl.rejectedBy().substring(6)) + 1) : 1 << 7;
            long k = topicNo < 0 ? -1 : key(topicNo, dl.partition(), dl.offset());
            synchronized (lock) {
                seen.merge(k, bit, (a, b) -> a | b);
                unexpectedSample(k, bit, dl);
            }
        }

        private final List<String> unexpected = new ArrayList<>();

        private void unexpectedSample(long k, int bit, DeadLetter dl) {
            Integer want = expected.get(k);
            if (want != null && (want & bit) != 0) {
                return;
            }
            if (dl.topic().equals(topics.control()) && dl.reason().startsWith("EnterMaintenance for ")) {
                // A valid EnterMaintenance for yet another host without an inventory, refused with its reason.
                refused.incrementAndGet();
                return;
            }
            if (unexpected.size() < 10_000) {
                unexpected.add(k + "|" + bit + "|" + dl.topic() + "@" + dl.offset() + " by " + dl.rejectedBy() + ": "
                        + dl.reason() + " — " + dl.payload().substring(0, Math.min(200, dl.payload().length())));
            }
        }

        void expect(long k, int mask) {
            synchronized (lock) {
                expected.put(k, mask);
            }
        }

        void expectResult(String hostAndId) {
            resultsExpected.add(hostAndId);
        }

        void sendFailure(String what) {
            synchronized (lock) {
                if (sendFailures.size() < 10) sendFailures.add(what);
            }
        }

        boolean settled() {
            synchronized (lock) {
                for (Map.Entry<Long, Integer> e : expected.entrySet()) {
                    Integer s = seen.get(e.getKey());
                    if (s == null || (s & e.getValue()) != e.getValue()) {
                        return false;
                    }
                }
            }
            return resultsSeen.containsAll(resultsExpected);
        }

        KafkaRound report(Map<Target, Integer> sent, long heap, long bytes, long producedMillis, long millis, long sendFailureCount, long rejected,
                          long startedNanos) {
            Map<String, Long> lastAt = new java.util.TreeMap<>();
            lastSeen.forEach((who, at) -> lastAt.put(who, (at - startedNanos) / 1_000_000));
            synchronized (lock) {
                long expectedLetters = expected.values().stream().mapToLong(Integer::bitCount).sum();
                long missing = 0;
                List<String> missingSamples = new ArrayList<>();
                for (Map.Entry<Long, Integer> e : expected.entrySet()) {
                    int s = seen.getOrDefault(e.getKey(), 0);
                    int lacking = e.getValue() & ~s;
                    missing += Integer.bitCount(lacking);
                    if (lacking != 0 && missingSamples.size() < 10) {
                        missingSamples.add(topicIndex.get((int) (e.getKey() >>> 56)) + "@" + (e.getKey() & 0xFFFFFFFFFFFFL)
                                + " lacks rejecters " + Integer.toBinaryString(lacking));
                    }
                }
                // A letter arriving for a record not yet acknowledged to the producer is matched late: re-check.
                List<String> stillUnexpected = new ArrayList<>();
                for (String u : unexpected) {
                    String[] parts = u.split("\\|", 3);
                    Integer want = expected.get(Long.parseLong(parts[0]));
                    if (want == null || (want & Integer.parseInt(parts[1])) == 0) {
                        stillUnexpected.add(parts[2]);
                    }
                }
                Set<String> lackingResults = new HashSet<>(resultsExpected);
                lackingResults.removeAll(resultsSeen);
                return new KafkaRound(sent, heap, bytes, producedMillis, millis, sendFailureCount, rejected, expectedLetters, lettersSeen.get(), missing,
                        emptyReasons.get(), stillUnexpected.size(), java.util.stream.Stream.concat(stillUnexpected.stream().limit(10),
                                sendFailures.stream().map(f -> "send failed: " + f)).toList(),
                        missingSamples, resultsExpected.size(), lackingResults.size(), resultsWithoutReason.get(),
                        new LinkedHashMap<>(rejectedBy), refused.get(), lastAt);
            }
        }

        void clear() {
            synchronized (lock) {
                expected.clear();
                seen.clear();
                unexpected.clear();
                sendFailures.clear();
            }
            resultsExpected.clear();
            resultsSeen.clear();
            rejectedBy.clear();
            emptyReasons.set(0);
            resultsWithoutReason.set(0);
            lettersSeen.set(0);
            refused.set(0);
            lastSeen.clear();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }

    // ------------------------------------------------------------------ afterwards

    /** Used heap after full collections, in MiB: the least of a few readings. */
    static long heapUsedMiB() {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            ManagementFactory.getMemoryMXBean().gc();
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least / (1024 * 1024);
    }

    /**
     * Undoes what valid fuzz control messages changed (maintenance; automation is set to manual), then checks that
     * everything still works end to end: a guest created after the fuzzing is moved from host-1 to
     * host-3 on an operator's request, which the balancer leader checks against every rule and sends,
     * and host-1's agent carries out. (Valid fuzz input legitimately changes the rest of the cluster:
     * guests moved without --undefinesource leave definitions behind, and samples of up to a million
     * cores make a guest's forecast too big for any host for a while, so the fuzzed guests prove nothing.)
     */
    String checkStillWorking(Duration atMost) throws Exception {
        long now = System.currentTimeMillis();
        for (String h : HOSTS) {
            sendControl(new ExitMaintenance(h), now);
        }
        // Manual: the balancer's own balancing (fuzzed samples may leave it much to do) must not move the guest first.
        sendControl(new SetAutomation(AutomationLevel.MANUAL), now);
        step("every host back in service, fresh, in manual automation", atMost, () -> cluster.balancer().snapshot().automation() == AutomationLevel.MANUAL
                && HOSTS.stream().allMatch(h -> cluster.balancer().snapshot().host(h)
                .map(s -> s.maintenance() == MaintenanceState.ACTIVE && !s.stale()).orElse(false)));
        fabric.addGuest("host-1", GuestSpec.of("after-fuzz").withVcpus(1).withMemoryMiB(512).withConstantCpu(0.1));
        step("the new guest in the balancer's view", atMost, () -> cluster.balancer().snapshot().guests().stream()
                .anyMatch(g -> g.guest().equals("after-fuzz") && g.host().equals("host-1")));
        String id = UUID.randomUUID().toString();
        sendControl(new RequestMigration(id, "after-fuzz", "host-3", org.virtbalancer.protocol.MigrationMode.LIVE,
                org.virtbalancer.protocol.MigrationOptions.move(), System.currentTimeMillis(), "fuzz check"),
                System.currentTimeMillis());
        step("after-fuzz moved to host-3 on request " + id, atMost, () -> fabric.hostOf("after-fuzz").orElse("").equals("host-3")
                && cluster.balancer().snapshot().recentMigrations().stream()
                .anyMatch(m -> m.commandId().equals(id) && m.status() == ResultStatus.SUCCEEDED));
        return "a guest created afterwards moved host-1 -> host-3 on an operator's request (checked and sent by the"
                + " leader, carried out by the agent)";
    }

    private void step(String what, Duration atMost, java.util.concurrent.Callable<Boolean> done) {
        try {
            await().atMost(atMost).until(done);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            var s = cluster.balancer().snapshot();
            throw new AssertionError("not within " + atMost.toSeconds() + " s: " + what + "; the balancer ("
                    + cluster.balancer().instance() + ") sees automation " + s.automation() + ", hosts "
                    + s.hosts().stream().map(h -> h.host() + " " + h.maintenance() + (h.stale() ? " stale" : "") + " "
                    + h.guests() + " guests").toList() + ", drains " + s.maintenance().stream().filter(m -> HOSTS.contains(m.host())).toList() + ", in flight " + s.inFlight()
                    + ", recent " + s.recentMigrations().stream().skip(Math.max(0, s.recentMigrations().size() - 5)).toList()
                    + ", fabric " + HOSTS.stream().map(h -> h + "=" + fabric.guests(h).stream().map(g -> g.name()).toList()).toList());
        }
    }

    private void sendControl(Message m, long now) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), ControlKey.of(m),
                codec.encode(Envelope.of("operator:fuzz-check", m, now)))).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        try {
            collector.close();
            producer.close();
            readOnlyApi.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            try {
                cluster.close();
            } finally {
                Thread.setDefaultUncaughtExceptionHandler(previousHandler);
                logs.close();
            }
        }
    }
}
