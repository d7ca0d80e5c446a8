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
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.core.BalancerCore;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.Preview;
import org.virtbalancer.balancer.plan.Explanation;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.Codec;
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
import org.virtbalancer.protocol.SetAutomation;
import org.virtbalancer.protocol.Topics;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The balancer's shell: feeds the decision core from Kafka and carries out what it decides.
 * All core calls happen on this verticle's event-loop context, so the core needs no locks;
 * Kafka admin calls (blocking) run on worker threads. With an {@link ApiEndpoint} configured it
 * also answers the read-only {@link HttpApi}, whose queries run on that same context.
 */
public final class BalancerVerticle extends VerticleBase implements BalancerQueries {
    private static final Logger LOG = LoggerFactory.getLogger(BalancerVerticle.class);
    /**
     * A snapshot walks every host and guest (about 70 ms at 2,000 hosts, far more with a cold JIT or
     * a busy CPU): the next is built no sooner than this many times its cost, so it never takes more
     * than a tenth of the event loop, which must keep up with the hosts' samples.
     */
    private static final int SNAPSHOT_COST_FACTOR = 10;

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
    private BalancerCore core;
    private KafkaConsumer<String, Received> consumer;
    private KafkaProducer<String, byte[]> producer;
    private TopicAdmin admin;
    private HttpApi api;
    private long tickTimer = -1;
    private long commitTimer = -1;
    private long nextSnapshotNanos = System.nanoTime();

    public BalancerVerticle(BalancerConfig config, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.clock = clock;
        this.registry = registry;
        this.tickDuration = Timer.builder("vb_balancer_tick").description("Event-loop time of one decision tick,"
                + " carrying out its actions and any snapshot included").register(registry);
    }

    @Override
    public Future<?> start() {
        Topics topics = config.kafka().topics();
        core = new BalancerCore(config.settings(), clock);
        snapshot.set(core.snapshot());
        Future<Void> listening = !config.api().enabled() ? Future.succeededFuture()
                : HttpApi.start(vertx, config.api(), this).map(started -> {
                    api = started;
                    LOG.info("balancer {} API on {}", config.id(), started.url());
                    return null;
                });
        return listening
                .compose(v -> vertx.executeBlocking(() -> {
                    admin = new TopicAdmin(config.kafka(), "balancer-" + config.id() + "-admin");
                    admin.ensure(topics.shared());
                    return null;
                }))
                .compose(v -> {
                    producer = KafkaProducer.create(vertx, config.kafka().producer("balancer-" + config.id()));
                    Map<String, String> reading = new HashMap<>(config.kafka().consumer("balancer-" + config.id(),
                            config.groupId()));
                    reading.put("value.deserializer", Received.Reader.class.getName());
                    consumer = KafkaConsumer.create(vertx, reading);
                    consumer.handler(this::handle);
                    consumer.exceptionHandler(e -> LOG.warn("Kafka consumer error: {}", e.toString()));
                    consumer.partitionsAssignedHandler(this::rebuildCompacted);
                    return consumer.subscribe(Set.of(topics.inventory(), topics.hostLoad(), topics.domainEvents(),
                            topics.commandResults(), topics.control()));
                })
                .onSuccess(v -> {
                    tickTimer = vertx.setPeriodic(config.tick().toMillis(), id -> tick());
                    commitTimer = vertx.setPeriodic(1000, id -> consumer.commit()
                            .onFailure(e -> LOG.debug("commit failed, will retry: {}", e.toString())));
                    LOG.info("balancer {} started on {} with prefix {}", config.id(), config.kafka().bootstrapServers(),
                            topics.prefix());
                });
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(tickTimer);
        vertx.cancelTimer(commitTimer);
        Future<Void> c = consumer == null ? Future.succeededFuture()
                : consumer.commit().recover(e -> Future.succeededFuture()).compose(v -> consumer.close());
        return c.compose(v -> producer == null ? Future.succeededFuture() : producer.close())
                .compose(v -> api == null ? Future.succeededFuture() : api.close())
                .compose(v -> vertx.executeBlocking(() -> {
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

    /** Compacted topics hold the state (hosts, maintenance, automation): always read them whole. */
    private void rebuildCompacted(Set<TopicPartition> assigned) {
        Topics topics = config.kafka().topics();
        Set<TopicPartition> compacted = assigned.stream()
                .filter(tp -> tp.getTopic().equals(topics.inventory()) || tp.getTopic().equals(topics.control()))
                .collect(Collectors.toCollection(HashSet::new));
        if (!compacted.isEmpty()) {
            consumer.seekToBeginning(compacted);
        }
    }

    private void handle(KafkaConsumerRecord<String, Received> record) {
        Decoded decoded = record.value().decoded();
        if (decoded instanceof Decoded.Rejected rejected) {
            deadLetter(record, rejected.reason());
            return;
        }
        Envelope envelope = ((Decoded.Ok) decoded).envelope();
        Message body = envelope.body();
        String topic = record.topic();
        Topics topics = config.kafka().topics();
        receivedListeners.forEach(l -> l.accept(envelope));
        try {
            if (topic.equals(topics.inventory()) && body instanceof Inventory inv) {
                core.onInventory(inv);
            } else if (topic.equals(topics.hostLoad()) && body instanceof HostLoad load) {
                // A balancer that starts late must not judge today's hosts by yesterday's samples.
                if (envelope.ts() >= clock.millis() - config.settings().hostStaleAfter().toMillis()) {
                    core.onHostLoad(load);
                }
            } else if (topic.equals(topics.domainEvents()) && body instanceof DomainEvent event) {
                core.onDomainEvent(event);
            } else if (topic.equals(topics.commandResults()) && body instanceof CommandResult result) {
                core.onCommandResult(result);
                if (result.status().isFinal()) {
                    resultListeners.forEach(l -> l.accept(result));
                }
            } else if (topic.equals(topics.control()) && isControl(body)) {
                LOG.info("control from {}: {}", envelope.source(), body);
                core.onControl(body);
            } else {
                deadLetter(record, "a " + envelope.type().wireName() + " message does not belong on " + topic
                        + "; " + expectedOn(topic));
            }
        } catch (RuntimeException e) {
            // A message the core cannot digest must not stop the balancer.
            LOG.error("could not handle {} from {}", envelope.type().wireName(), topic, e);
            deadLetter(record, "the balancer could not handle this message: " + e);
        }
    }

    private static boolean isControl(Message body) {
        return body instanceof EnterMaintenance || body instanceof ExitMaintenance || body instanceof SetAutomation
                || body instanceof ApprovePlan;
    }

    private String expectedOn(String topic) {
        Topics t = config.kafka().topics();
        if (topic.equals(t.inventory())) return "only Inventory messages go there";
        if (topic.equals(t.hostLoad())) return "only HostLoad messages go there";
        if (topic.equals(t.domainEvents())) return "only DomainEvent messages go there";
        if (topic.equals(t.commandResults())) return "only CommandResult messages go there";
        if (topic.equals(t.control())) return "send EnterMaintenance, ExitMaintenance, SetAutomation or ApprovePlan there";
        return "this balancer does not read it";
    }

    private void tick() {
        long began = System.nanoTime();
        decide();
        tickDuration.record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
    }

    private void decide() {
        List<Action> actions;
        try {
            actions = core.tick();
        } catch (RuntimeException e) {
            LOG.error("decision tick failed; the next tick tries again", e);
            return;
        }
        for (Action action : actions) {
            carryOut(action);
        }
        long start = System.nanoTime();
        if (start - nextSnapshotNanos >= 0) {
            snapshot.set(core.snapshot());
            nextSnapshotNanos = start + SNAPSHOT_COST_FACTOR * (System.nanoTime() - start);
        }
    }

    private void carryOut(Action action) {
        Topics topics = config.kafka().topics();
        long now = clock.millis();
        String source = "balancer:" + config.id();
        if (action instanceof Action.SendMigrate m) {
            Envelope env = Envelope.command(m.commandId(), source, config.epoch(), m.migrate(), now);
            sendCommand(m.migrate().source(), m.commandId(), env);
        } else if (action instanceof Action.SendAbort a) {
            Envelope env = Envelope.command(a.commandId(), source, config.epoch(), a.abort(), now);
            sendCommand(a.host(), a.commandId(), env);
        } else if (action instanceof Action.PublishDecision d) {
            send(topics.decisions(), d.key(), Envelope.of(source, d.decision(), now));
        }
    }

    private void sendCommand(String host, String key, Envelope env) {
        Topics topics = config.kafka().topics();
        Future<Void> ready = commandTopicsKnown.contains(host) ? Future.succeededFuture()
                : vertx.executeBlocking(() -> {
                    admin.ensure(List.of(topics.commandsSpec(host)));
                    commandTopicsKnown.add(host);
                    return null;
                });
        ready.compose(v -> send(topics.commands(host), key, env))
                .onSuccess(v -> commandListeners.forEach(l -> l.accept(env)))
                .onFailure(e -> LOG.error("could not send {} {} to {}: {}", env.type().wireName(), key, host, e.toString()));
    }

    private Future<Void> send(String topic, String key, Envelope env) {
        return producer.send(KafkaProducerRecord.create(topic, key, codec.encode(env))).mapEmpty();
    }

    private void deadLetter(KafkaConsumerRecord<String, Received> record, String reason) {
        Topics topics = config.kafka().topics();
        Counter.builder("vb_dead_letter").description("Messages rejected to the dead-letter topic")
                .tag("topic", record.topic()).register(registry).increment();
        LOG.warn("rejected a message on {} at {}/{}: {}", record.topic(), record.partition(), record.offset(), reason);
        DeadLetter dl = DeadLetter.of(record.topic(), record.partition(), record.offset(), record.key(),
                record.value().bytes(), reason, "balancer:" + config.id());
        send(topics.deadLetter(), record.key() == null ? record.topic() : record.key(),
                Envelope.of("balancer:" + config.id(), dl, clock.millis()))
                .onFailure(e -> LOG.error("could not write to {}: {}", topics.deadLetter(), e.toString()));
    }
}
