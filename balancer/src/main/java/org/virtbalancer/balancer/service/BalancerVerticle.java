package org.virtbalancer.balancer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.kafka.ControlWriter;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.balancer.core.RequestStatus;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.MigrationMode;
import org.virtbalancer.protocol.MigrationOptions;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.RequestOutcome;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.ControlKey;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.DeadLetter;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.HostLoad;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.SigningKeys;
import org.virtbalancer.protocol.Topics;
import org.virtbalancer.protocol.kafka.KafkaOutage;
import org.virtbalancer.protocol.kafka.SharedProducer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The balancer's shell: feeds the decision core from Kafka and carries out what it decides.
 * All core calls happen on this verticle's event-loop context, so the core needs no locks;
 * Kafka admin calls (blocking) run on worker threads. With an {@link ApiEndpoint} configured it
 * also answers the read-only {@link HttpApi}, whose queries run on that same context.
 *
 * <p>Every balancer reads every topic, the per-host command topics included, so a follower's
 * core knows each migration the leader started and how it ended: it is warm when it takes over.
 * Only the leader ({@link Leadership}) ticks, and it sends through a {@link LeaderChannel}, whose
 * Kafka transactions fence any earlier leader. On start each balancer re-reads the compacted
 * topics, the command topics and the results from the beginning (commands older than
 * {@link #REBUILD_WINDOW} are skipped), so a restarted cluster rebuilds migrations in flight,
 * cooldowns, maintenance and automation from Kafka. A new leader first reads the command topics
 * to their end, so it never plans a move the old leader already made.
 */
public final class BalancerVerticle extends VerticleBase implements BalancerQueries {
    private static final Logger LOG = LoggerFactory.getLogger(BalancerVerticle.class);
    /**
     * A snapshot walks every host and guest (about 70 ms at 2,000 hosts, far more with a cold JIT or
     * a busy CPU): the next is built no sooner than this many times its cost, so it never takes more
     * than a tenth of the event loop, which must keep up with the hosts' samples.
     */
    private static final int SNAPSHOT_COST_FACTOR = 10;
    /** Commands older than this are history, not state, when a balancer rebuilds from Kafka. */
    static final Duration REBUILD_WINDOW = Duration.ofHours(2);
    private static final Duration[] TICK_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5)};
    /** The leader stops deciding while this many of its batches wait for Kafka (bounds the channel's queue). */
    static final int MAX_UNSENT_BATCHES = 8;
    /** Most one Kafka call of an API write may block. */
    private static final Duration CONTROL_ANSWER_WITHIN = Duration.ofSeconds(10);
    /** Most an API write waits for Kafka to commit it before it answers 503 (failed) or 504 (unconfirmed). */
    static final Duration CONTROL_WAIT = Duration.ofSeconds(30);
    /** A new leader waits at most this long to read the command topics to their end. */
    private static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(10);

    /** What this balancer does now. */
    enum Role { FOLLOWER, OPENING, CATCHING_UP, LEADER }

    private final BalancerConfig config;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Timer tickDuration;
    private final Codec codec = new Codec();
    private final AtomicReference<ClusterSnapshot> snapshot = new AtomicReference<>();
    private final Set<String> commandTopicsKnown = ConcurrentHashMap.newKeySet();
    private final List<Consumer<Envelope>> commandListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Envelope>> receivedListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<CommandResult>> resultListeners = new CopyOnWriteArrayList<>();
    private final Leadership leadership;
    private final AtomicInteger membershipChanges = new AtomicInteger();
    private final Counter fenced;
    private final Counter elected;
    private final BalancerMetrics metrics;
    private volatile Role role = Role.FOLLOWER;
    private volatile long epoch;
    private LeaderChannel channel;
    /** After this balancer was fenced it waits for the membership to change before it tries to lead again. */
    private int fencedAtChanges = -1;
    private Map<TopicPartition, Long> catchUpTo = Map.of();
    private long openingSince;
    /** Whether this balancer has read the state topics to where they ended when it started: only then may it lead. */
    private volatile boolean warm;
    private Map<TopicPartition, Long> warmUpTo;
    private boolean warmUpAsked;
    private volatile boolean stopping;
    private long catchUpUntil;
    private boolean waitingForChannel;
    /** Partitions read from the beginning once since start (re-assignments must not replay them). */
    private final Set<TopicPartition> seeded = new HashSet<>();
    private BalancerCore core;
    private KafkaConsumer<String, Received> consumer;
    /** Next offset to read per partition, of records handled: what is committed, never a position polled ahead. */
    private final Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
    /** Dead letters; replaced when Kafka leaves it unusable. */
    private SharedProducer producer;
    private KafkaOutage outage;
    /** Writes the API's control messages, one transaction each, on {@link #controlThread}. */
    private final ControlWriter controlWriter;
    private final ExecutorService controlThread;
    private TopicAdmin admin;
    private HttpApi api;
    private long tickTimer = -1;
    private long commitTimer = -1;
    private long nextSnapshotNanos = System.nanoTime();

    public BalancerVerticle(BalancerConfig config, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.clock = clock;
        this.registry = registry;
        this.tickDuration = Timer.builder("vb.balancer.tick.duration").description("Event-loop time of one decision tick,"
                + " carrying out its actions and any snapshot included").serviceLevelObjectives(TICK_BUCKETS).register(registry);
        Membership m = config.membership();
        this.leadership = m.standalone() ? Leadership.standalone()
                : new HazelcastLeadership(config.clusterName(), m.host(), m.port(), m.members(), m.outboundPorts());
        this.fenced = Counter.builder("vb.balancer.fenced").description("Times this balancer's leader transactions"
                + " failed (fenced by a newer leader, or the broker gone) and it stepped down").register(registry);
        this.elected = Counter.builder("vb.balancer.elections").description("Times this balancer became leader")
                .register(registry);
        this.metrics = new BalancerMetrics(registry, config.kafka().topics(), this::role, clock);
        this.controlWriter = new ControlWriter(config.kafka(), "balancer-" + config.id() + "-api",
                config.kafka().topics().apiTransactionalId(config.id()), CONTROL_ANSWER_WITHIN, CONTROL_WAIT);
        this.controlThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vb-api-control-" + config.id());
            t.setDaemon(true);
            return t;
        });
    }

    /** What this balancer does now; safe from any thread. */
    public Role role() {
        return role;
    }

    /** The epoch this balancer stamps on commands while it leads; 0 before it first led. */
    public long epoch() {
        return epoch;
    }

    /** The balancer cluster as this member sees it, in one line. */
    public String membershipSummary() {
        return leadership.describe();
    }

    @Override
    public Future<?> start() {
        Topics topics = config.kafka().topics();
        core = new BalancerCore(config.settings(), clock);
        snapshot.set(core.snapshot());
        Future<Void> listening = !config.api().enabled() ? Future.succeededFuture()
                : HttpApi.start(vertx, config.api(), this, MetricsScrape.of(registry)).map(started -> {
                    api = started;
                    LOG.info("balancer {} API on {}", config.id(), started.url());
                    return null;
                });
        return listening
                .compose(v -> vertx.executeBlocking(() -> {
                    admin = new TopicAdmin(config.kafka(), "balancer-" + config.id() + "-admin");
                    admin.ensure(topics.shared());
                    leadership.start(() -> {
                        membershipChanges.incrementAndGet();
                        context.runOnContext(x -> {
                            if (!stopping) {
                                LOG.info("balancer {} membership: {}", config.id(), leadership.describe());
                            }
                            evaluateRole();
                        });
                    });
                    return null;
                }))
                .compose(v -> {
                    outage = new KafkaOutage(registry, "vb.balancer", config.id(), "balancer " + config.id(),
                            config.kafka().bootstrapServers(), List.of(topics.control(), topics.deadLetter()), clock::millis);
                    producer = new SharedProducer(generation -> KafkaProducer.create(vertx, config.kafka()
                            .producer("balancer-" + config.id() + (generation == 0 ? "" : "-" + generation))),
                            outage, registry, "vb.balancer", clock::millis);
                    Map<String, String> reading = new HashMap<>(config.kafka().consumer("balancer-" + config.id(),
                            config.groupId()));
                    reading.put("value.deserializer", Received.Reader.class.getName());
                    // New command topics join the subscription without taking the others away.
                    reading.put("partition.assignment.strategy",
                            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
                    // Static membership: a balancer restarted under the same id gets its partitions at once,
                    // instead of after the session of its killed predecessor ran out (45 s by default).
                    reading.put("group.instance.id", "balancer-" + config.id());
                    reading.put("session.timeout.ms", "10000");
                    consumer = KafkaConsumer.create(vertx, reading);
                    metrics.watch(consumer.unwrap());
                    consumer.handler(record -> {
                        handle(record);
                        metrics.onRecord(record);
                        handled.put(new TopicPartition(record.topic(), record.partition()),
                                new OffsetAndMetadata(record.offset() + 1, ""));
                    });
                    consumer.exceptionHandler(e -> LOG.warn("Kafka consumer error: {}", e.toString()));
                    consumer.partitionsAssignedHandler(this::rebuild);
                    return consumer.subscribe(Pattern.compile(Pattern.quote(topics.prefix())
                            + "(inventory|host-load|domain-events|command-results|control|commands\\..+)"));
                })
                .onSuccess(v -> {
                    tickTimer = vertx.setPeriodic(config.tick().toMillis(), id -> tick());
                    commitTimer = vertx.setPeriodic(1000, id -> commitHandled()
                            .onFailure(e -> LOG.debug("commit failed, will retry: {}", e.toString())));
                    LOG.info("balancer {} started on {} with prefix {}", config.id(), config.kafka().bootstrapServers(),
                            topics.prefix());
                    if (config.signing().enabled()) {
                        LOG.info("balancer {} signs commands with key '{}' of {}{}", config.id(),
                                config.signing().signingKeyId(), config.signing().keys().orElseThrow().ids(),
                                config.signing().requireSignedControl() ? " and acts only on signed control messages" : "");
                    }
                });
    }

    @Override
    public Future<?> stop() {
        stopping = true;
        vertx.cancelTimer(tickTimer);
        vertx.cancelTimer(commitTimer);
        LeaderChannel open = channel;
        channel = null;
        Role was = role;
        role = Role.FOLLOWER;
        // Hand over first: the leader's batches already handed to its channel are committed (the channel
        // closes after them), then this member leaves the balancers' cluster, so the next one leads at once
        // instead of after the heartbeat timeout a crash costs. The rest closes afterwards.
        long handingOver = System.nanoTime();
        Future<Void> handedOver = vertx.executeBlocking(() -> {
            if (open != null) {
                open.close();
            }
            leadership.close();
            return null;
        });
        if (was != Role.FOLLOWER) {
            handedOver.onSuccess(v -> LOG.info("balancer {} stopped leading (epoch {}) and left the cluster in {} ms",
                    config.id(), epoch, (System.nanoTime() - handingOver) / 1_000_000));
        }
        metrics.close();
        return handedOver.recover(e -> Future.succeededFuture())
                .compose(v -> consumer == null ? Future.succeededFuture()
                        : commitHandled().recover(e -> Future.succeededFuture()).compose(x -> consumer.close()))
                .compose(v -> producer == null ? Future.succeededFuture() : producer.close())
                .onComplete(x -> {
                    if (outage != null) {
                        outage.remove();
                    }
                })
                .compose(v -> api == null ? Future.succeededFuture() : api.close())
                .compose(v -> vertx.executeBlocking(() -> {
                    controlThread.shutdown();
                    if (!controlThread.awaitTermination(CONTROL_WAIT.toSeconds() + 15, TimeUnit.SECONDS)) {
                        LOG.warn("balancer {}: an API write was still waiting for Kafka when it stopped", config.id());
                    }
                    controlWriter.close();
                    if (admin != null) {
                        admin.close();
                    }
                    return null;
                }));
    }

    /**
     * The latest view of the cluster; safe from any thread. Rebuilt after each tick, or less often
     * when building it is slow: on a large or busy cluster it can be a few ticks old.
     */
    @Override
    public ClusterSnapshot snapshot() {
        return snapshot.get();
    }

    /** Where the HTTP API answers, e.g. {@code http://127.0.0.1:8484}; empty when it runs none. */
    public Optional<String> apiUrl() {
        return Optional.ofNullable(api).map(HttpApi::url);
    }

    @Override
    public Future<Preview> preview() {
        return onCore(() -> core.preview());
    }

    @Override
    public Future<Explanation> explain(String guest, Optional<String> target) {
        return onCore(() -> target.map(t -> core.explain(guest, t)).orElseGet(() -> core.explain(guest)));
    }

    @Override
    public Future<Explanation> explain(String guest, Optional<String> target, MigrationMode mode, MigrationOptions options) {
        return onCore(() -> core.explain(guest, target, mode, options));
    }

    @Override
    public Future<Optional<String>> check(RequestMigration request) {
        return onCore(() -> core.refusalOf(request));
    }

    @Override
    public Future<Optional<RequestStatus>> request(String requestId) {
        return onCore(() -> core.requestStatus(requestId));
    }

    @Override
    public Instance instance() {
        return new Instance(config.id(), role.name(), epoch, leadership.describe());
    }

    @Override
    public Future<Envelope> control(Message control, String who) {
        if (producer == null) {
            return Future.failedFuture(new IllegalStateException("the balancer is still starting"));
        }
        // Signed with the balancer's key: the API's writes are as good as a signed CLI's.
        Envelope env = config.signing().sign(Envelope.of("operator:" + who, control, clock.millis()));
        Promise<Envelope> written = Promise.promise();
        try {
            controlThread.execute(() -> {
                try {
                    ControlWriter.Outcome outcome = controlWriter.write(config.kafka().topics().control(),
                            ControlKey.of(control), codec.encode(env), ControlWriter.howToCheck(control));
                    if (outcome instanceof ControlWriter.Confirmed) {
                        written.complete(env);
                    } else {
                        written.fail(new ControlWriter.NotConfirmed(outcome));
                    }
                } catch (RuntimeException e) {
                    written.fail(e);
                }
            });
        } catch (RejectedExecutionException e) {
            written.fail(new IllegalStateException("the balancer is stopping"));
        }
        return written.future();
    }

    /** Runs a query on this verticle's context, where the core lives, from whatever thread asks. */
    private <T> Future<T> onCore(Supplier<T> query) {
        Promise<T> answer = Promise.promise();
        context.runOnContext(v -> {
            try {
                answer.complete(query.get());
            } catch (RuntimeException e) {
                answer.fail(e);
            }
        });
        return answer.future();
    }

    /** Observes every command this balancer sends (for the demo's terminal view). */
    public void onCommandSent(Consumer<Envelope> listener) {
        commandListeners.add(listener);
    }

    /** Observes every valid message this balancer reads, before the core sees it. */
    public void onReceived(Consumer<Envelope> listener) {
        receivedListeners.add(listener);
    }

    /** Observes every final command result (SUCCEEDED, FAILED, REJECTED) agents report. */
    public void onResult(Consumer<CommandResult> listener) {
        resultListeners.add(listener);
    }

    /**
     * The state is in Kafka: compacted topics (hosts, maintenance, automation), the commands the
     * leaders sent and their results. Each is read from the beginning once after start (the first
     * assignment, before anything is fetched), whatever offsets this balancer committed before;
     * load samples and domain events go on from there.
     */
    private void rebuild(Set<TopicPartition> assigned) {
        Topics topics = config.kafka().topics();
        if (!seeded.isEmpty()) {
            // A partition assigned later (a new host's command topic) has no committed offset and is read from
            // its beginning anyway (auto.offset.reset=earliest). No seek: in vertx-kafka-client 5.0.7 a seek
            // drops the rest of the batch being delivered, on every partition (samples, results).
            seeded.addAll(assigned);
            return;
        }
        Set<TopicPartition> state = assigned.stream()
                .filter(tp -> !seeded.contains(tp))
                .filter(tp -> tp.getTopic().equals(topics.inventory()) || tp.getTopic().equals(topics.control())
                        || tp.getTopic().equals(topics.commandResults()) || isCommandTopic(tp.getTopic()))
                .collect(Collectors.toCollection(HashSet::new));
        seeded.addAll(assigned);
        if (!state.isEmpty()) {
            consumer.seekToBeginning(state);
        }
    }

    private Future<Void> commitHandled() {
        return handled.isEmpty() ? Future.succeededFuture() : consumer.commit(Map.copyOf(handled)).mapEmpty();
    }

    private boolean isCommandTopic(String topic) {
        return topic.startsWith(config.kafka().topics().prefix() + "commands.");
    }

    private void handle(KafkaConsumerRecord<String, Received> record) {
        Decoded decoded = record.value().decoded();
        if (decoded instanceof Decoded.Rejected rejected) {
            deadLetter(record, BalancerMetrics.INVALID, rejected.reason());
            return;
        }
        Envelope envelope = ((Decoded.Ok) decoded).envelope();
        Message body = envelope.body();
        String topic = record.topic();
        Topics topics = config.kafka().topics();
        receivedListeners.forEach(l -> l.accept(envelope));
        if (topic.equals(topics.control()) && isControl(body) && !signedWhereRequired(record, envelope)) {
            return;
        }
        try {
            if (isCommandTopic(topic) && (body instanceof Migrate || body instanceof Abort)) {
                if (body instanceof Migrate m && envelope.ts() >= clock.millis() - REBUILD_WINDOW.toMillis()
                        && authentic(record, envelope)) {
                    core.onCommandObserved(envelope.id(), m, envelope.ts());
                }
            } else if (topic.equals(topics.inventory()) && body instanceof Inventory inv) {
                core.onInventory(inv, envelope.ts());
            } else if (topic.equals(topics.hostLoad()) && body instanceof HostLoad load) {
                // A balancer that starts late must not judge today's hosts by yesterday's samples.
                if (envelope.ts() >= clock.millis() - config.settings().hostStaleAfter().toMillis()) {
                    core.onHostLoad(load);
                }
            } else if (topic.equals(topics.domainEvents()) && body instanceof DomainEvent event) {
                core.onDomainEvent(event);
            } else if (topic.equals(topics.commandResults()) && body instanceof CommandResult result) {
                metrics.onResult(result, core.onCommandResult(result, envelope.ts()));
                if (result.status().isFinal()) {
                    resultListeners.forEach(l -> l.accept(result));
                }
            } else if (topic.equals(topics.control()) && isControl(body)) {
                LOG.info("control from {}: {}", envelope.source(), body);
                core.onControl(body).ifPresent(why -> deadLetter(record, BalancerMetrics.REFUSED, why));
            } else {
                deadLetter(record, BalancerMetrics.MISPLACED, "a " + envelope.type().wireName() + " message does not belong on " + topic
                        + "; " + expectedOn(topic));
            }
        } catch (RuntimeException e) {
            // A message the core cannot digest must not stop the balancer.
            LOG.error("could not handle {} from {}", envelope.type().wireName(), topic, e);
            deadLetter(record, BalancerMetrics.UNHANDLED, "the balancer could not handle this message: " + e);
        }
    }

    /**
     * Whether a command read back from a command topic is one to follow: any, without keys; with
     * keys, only one signed with a key of this balancer. A forged command must not make the model
     * believe in a migration (and then in its failure): the agent rejects it, this balancer ignores it.
     */
    private boolean authentic(KafkaConsumerRecord<String, Received> record, Envelope envelope) {
        if (!config.signing().enabled()) {
            return true;
        }
        SigningKeys.Verification check = config.signing().verify(envelope, record.value().bytes());
        if (!check.valid()) {
            LOG.warn("ignoring command {} on {} at {}: {} (its agent rejects it)", envelope.id(), record.topic(),
                    record.offset(), check.problem());
        }
        return check.valid();
    }

    /**
     * Whether a control message may be acted on: any, unless signatures are required
     * ({@link CommandSigning#requireSignedControl()}); then only one signed with a key of this
     * balancer. Any other goes to the dead-letter topic.
     */
    private boolean signedWhereRequired(KafkaConsumerRecord<String, Received> record, Envelope envelope) {
        if (!config.signing().requireSignedControl()) {
            return true;
        }
        SigningKeys.Verification check = config.signing().verify(envelope, record.value().bytes());
        if (!check.valid()) {
            deadLetter(record, BalancerMetrics.SIGNATURE, "control message refused: " + check.problem()
                    + "; this balancer acts only on signed control messages (--require-signed-control): send it with vbal"
                    + " and --signing-key-file, or through the HTTP API, which signs with the balancer's key");
        }
        return check.valid();
    }

    private static boolean isControl(Message body) {
        return body instanceof EnterMaintenance || body instanceof ExitMaintenance || body instanceof SetAutomation
                || body instanceof ApprovePlan || body instanceof RequestMigration || body instanceof RequestOutcome;
    }

    private String expectedOn(String topic) {
        Topics t = config.kafka().topics();
        if (topic.equals(t.inventory())) return "only Inventory messages go there";
        if (topic.equals(t.hostLoad())) return "only HostLoad messages go there";
        if (topic.equals(t.domainEvents())) return "only DomainEvent messages go there";
        if (topic.equals(t.commandResults())) return "only CommandResult messages go there";
        if (topic.equals(t.control())) return "send EnterMaintenance, ExitMaintenance, SetAutomation, ApprovePlan or"
                + " RequestMigration there";
        if (isCommandTopic(topic)) return "only the balancer leader's Migrate and Abort go there";
        return "this balancer does not read it";
    }

    private void tick() {
        long began = System.nanoTime();
        evaluateRole();
        if (role == Role.CATCHING_UP) {
            checkCaughtUp();
        }
        if (role == Role.LEADER) {
            decide();
        }
        refreshSnapshot();
        metrics.onTick(snapshot.get());
        tickDuration.record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
    }

    /** Follows what the membership says: start leading (fence, then catch up) or step down. */
    private void evaluateRole() {
        if (stopping) {
            return;
        }
        boolean mayTry = fencedAtChanges < 0 || membershipChanges.get() != fencedAtChanges;
        if (!warm) {
            checkWarm();
        }
        boolean should = leadership.leads() && mayTry && warm;
        if (should && role == Role.FOLLOWER) {
            role = Role.OPENING;
            openingSince = System.nanoTime();
            LOG.info("balancer {} may lead ({}): fencing earlier leaders", config.id(), leadership.describe());
            LeaderChannel opening = new LeaderChannel(config.kafka(), config.id(), this::ensureCommandTopic);
            channel = opening;
            Future.fromCompletionStage(opening.open(), context).onComplete(ar -> {
                if (channel != opening) {
                    return;
                }
                if (ar.failed()) {
                    stepDown("could not become leader: " + ar.cause(), true);
                    return;
                }
                epoch = ar.result();
                elected.increment();
                LOG.info("balancer {} fenced earlier leaders, epoch {}, in {} ms; reading the command topics to their end",
                        config.id(), epoch, (System.nanoTime() - openingSince) / 1_000_000);
                startCatchUp();
            });
        } else if (!should && role != Role.FOLLOWER) {
            stepDown(leadership.describe(), false);
        }
    }

    /**
     * A balancer that has not yet read the state topics (inventory, control, commands, results) to
     * where they ended when it got them knows nothing of the migrations in flight: it must not lead.
     */
    private void checkWarm() {
        Topics topics = config.kafka().topics();
        if (consumer == null) {
            return;
        }
        if (warmUpTo == null) {
            if (warmUpAsked) {
                return;
            }
            warmUpAsked = true;
            consumer.assignment().compose(assigned -> {
                Set<TopicPartition> state = assigned.stream().filter(tp -> tp.getTopic().equals(topics.inventory())
                        || tp.getTopic().equals(topics.control()) || tp.getTopic().equals(topics.commandResults())
                        || isCommandTopic(tp.getTopic())).collect(Collectors.toSet());
                boolean complete = state.stream().anyMatch(tp -> tp.getTopic().equals(topics.inventory()))
                        && state.stream().anyMatch(tp -> tp.getTopic().equals(topics.control()));
                return complete ? consumer.endOffsets(state) : Future.<Map<TopicPartition, Long>>succeededFuture(null);
            }).onComplete(ar -> {
                warmUpAsked = false;
                if (ar.succeeded() && ar.result() != null) {
                    warmUpTo = ar.result();
                }
            });
            return;
        }
        List<Future<Boolean>> done = warmUpTo.entrySet().stream()
                .map(e -> consumer.position(e.getKey()).map(p -> p >= e.getValue()).recover(x -> Future.succeededFuture(false)))
                .toList();
        Future.all(done).onSuccess(all -> {
            if (!warm && done.stream().allMatch(Future::result)) {
                warm = true;
                LOG.info("balancer {} has read its state from Kafka and may lead", config.id());
                evaluateRole();
            }
        });
    }

    /** Reads every command topic to its end before deciding, so nothing the old leader sent is planned again. */
    private void startCatchUp() {
        role = Role.CATCHING_UP;
        catchUpUntil = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
        consumer.assignment()
                .compose(assigned -> consumer.endOffsets(assigned.stream()
                        .filter(tp -> isCommandTopic(tp.getTopic()) || tp.getTopic().equals(config.kafka().topics().commandResults()))
                        .collect(Collectors.toSet())))
                .onSuccess(ends -> {
                    catchUpTo = ends;
                    if (ends.isEmpty()) {
                        role = Role.LEADER;
                        LOG.info("balancer {} leads with epoch {} ({})", config.id(), epoch, leadership.describe());
                        decideNow();
                    } else {
                        checkCaughtUp();
                    }
                })
                .onFailure(e -> {
                    LOG.warn("could not read the command topics' end offsets ({}); deciding after {} s", e.toString(),
                            CATCH_UP_LIMIT.toSeconds());
                    catchUpTo = Map.of();
                });
    }

    private void checkCaughtUp() {
        if (role != Role.CATCHING_UP) {
            return;
        }
        if (System.nanoTime() - catchUpUntil > 0) {
            LOG.warn("balancer {} leads (epoch {}) without having read every command topic to its end", config.id(), epoch);
            role = Role.LEADER;
            return;
        }
        List<Future<Boolean>> done = catchUpTo.entrySet().stream()
                .map(e -> consumer.position(e.getKey()).map(p -> p >= e.getValue()).recover(x -> Future.succeededFuture(false)))
                .toList();
        Future.all(done).onSuccess(all -> {
            if (role == Role.CATCHING_UP && !done.isEmpty() && done.stream().allMatch(Future::result)) {
                role = Role.LEADER;
                LOG.info("balancer {} leads with epoch {} ({}), {} ms after it began to take over", config.id(), epoch,
                        leadership.describe(), (System.nanoTime() - openingSince) / 1_000_000);
                decideNow();
            }
        });
    }

    /** A balancer that has just become leader decides at once rather than at its next tick. */
    private void decideNow() {
        if (role == Role.LEADER && !stopping && channel != null) {
            decide();
        }
    }

    /**
     * Stops leading. After a failed transaction this core may believe in moves that never reached
     * Kafka: it is rebuilt from the topics, and this balancer waits for the membership to change
     * before trying to lead again (a fenced leader is usually a deposed one that has not noticed).
     */
    private void stepDown(String why, boolean failed) {
        LOG.warn("balancer {} steps down ({}): {}", config.id(), failed ? "fenced or failed" : "no longer leader", why);
        Role was = role;
        role = Role.FOLLOWER;
        LeaderChannel old = channel;
        channel = null;
        if (old != null) {
            vertx.executeBlocking(() -> {
                old.close();
                return null;
            });
        }
        if (failed) {
            fenced.increment();
            fencedAtChanges = membershipChanges.get();
            if (was == Role.LEADER) {
                core = new BalancerCore(config.settings(), clock);
                seeded.clear();
                warm = false;
                warmUpTo = null;
                consumer.assignment().onSuccess(this::rebuild);
            }
        }
    }

    private void decide() {
        int unsent = channel.pending();
        if (unsent >= MAX_UNSENT_BATCHES) {
            // Kafka is slow or gone: what would be decided now could not be sent either. Deciding waits,
            // so the channel's queue stays bounded; a failed transaction makes this balancer step down.
            if (!waitingForChannel) {
                LOG.warn("balancer {} has {} batches waiting to be sent; it decides again when Kafka takes them",
                        config.id(), unsent);
                waitingForChannel = true;
            }
            return;
        }
        waitingForChannel = false;
        List<Action> actions;
        try {
            actions = metrics.plan(core::tick);
        } catch (RuntimeException e) {
            LOG.error("decision tick failed; the next tick tries again", e);
            return;
        }
        if (actions.isEmpty()) {
            return;
        }
        Topics topics = config.kafka().topics();
        long now = clock.millis();
        String source = "balancer:" + config.id();
        List<LeaderChannel.Outgoing> batch = new ArrayList<>();
        for (Action action : actions) {
            CommandSigning signing = config.signing();
            if (action instanceof Action.SendMigrate m) {
                batch.add(new LeaderChannel.Outgoing(topics.commands(m.migrate().source()), m.commandId(),
                        signing.sign(Envelope.command(m.commandId(), source, epoch, m.migrate(), now)), m.migrate().source()));
            } else if (action instanceof Action.SendAbort a) {
                batch.add(new LeaderChannel.Outgoing(topics.commands(a.host()), a.commandId(),
                        signing.sign(Envelope.command(a.commandId(), source, epoch, a.abort(), now)), a.host()));
            } else if (action instanceof Action.PublishDecision d) {
                batch.add(new LeaderChannel.Outgoing(topics.decisions(), d.key(), Envelope.of(source, d.decision(), now), null));
            } else if (action instanceof Action.SendControl c) {
                batch.add(new LeaderChannel.Outgoing(topics.control(), ControlKey.of(c.message()),
                        signing.sign(Envelope.of(source, c.message(), now)), null));
            }
        }
        LeaderChannel sending = channel;
        Future.fromCompletionStage(sending.send(batch), context).onComplete(ar -> {
            if (ar.succeeded()) {
                metrics.onSent(actions);
                for (LeaderChannel.Outgoing o : batch) {
                    if (o.commandHost() != null) {
                        commandListeners.forEach(l -> l.accept(o.envelope()));
                    }
                }
            } else if (channel == sending) {
                LOG.error("could not send {} messages as leader: {}", batch.size(), ar.cause().toString());
                stepDown(ar.cause().toString(), true);
            }
        });
    }

    private void refreshSnapshot() {
        long start = System.nanoTime();
        if (start - nextSnapshotNanos >= 0) {
            snapshot.set(core.snapshot());
            nextSnapshotNanos = start + SNAPSHOT_COST_FACTOR * (System.nanoTime() - start);
        }
    }

    /** Blocking: creates the host's command topic when it is missing (called on the leader channel's thread). */
    private void ensureCommandTopic(String host) {
        if (commandTopicsKnown.contains(host)) {
            return;
        }
        try {
            admin.ensure(List.of(config.kafka().topics().commandsSpec(host)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the command topic of " + host, e);
        }
        commandTopicsKnown.add(host);
    }

    private Future<Void> send(String topic, String key, Envelope env) {
        return producer.send(KafkaProducerRecord.create(topic, key, codec.encode(env))).mapEmpty();
    }

    /**
     * @param kind {@link BalancerMetrics#INVALID}, {@link BalancerMetrics#MISPLACED}, {@link BalancerMetrics#REFUSED} or
     *             {@link BalancerMetrics#UNHANDLED}
     */
    private void deadLetter(KafkaConsumerRecord<String, Received> record, String kind, String reason) {
        Topics topics = config.kafka().topics();
        metrics.deadLettered(record.topic(), kind);
        LOG.warn("rejected a message on {} at {}/{}: {}", record.topic(), record.partition(), record.offset(), reason);
        DeadLetter dl = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(),
                record.value().bytes(), reason, "balancer:" + config.id());
        send(topics.deadLetter(), record.key() == null ? record.topic() : record.key(),
                Envelope.of("balancer:" + config.id(), dl, clock.millis()))
                .onFailure(e -> LOG.debug("could not write to {}: {}", topics.deadLetter(), e.toString()));
    }
}
