package org.virtbalancer.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.producer.KafkaProducer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The agent of one host: publishes its inventory (at start, on change, periodically), its load
 * every interval and its guests' lifecycle events; runs the migration commands of its own command
 * topic against the {@link HypervisorDriver}, each command id at most once, reporting every step
 * to the command-results topic. Every driver call runs on a worker thread.
 */
public final class AgentVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);
    /** Changes arrive in bursts (a migration emits several events): publish the inventory once per burst. */
    private static final long INVENTORY_DEBOUNCE_MS = 200;
    private static final int DRIVER_WORKERS = 4;

    private final AgentConfig config;
    private final HypervisorDriver driver;
    private final MeterRegistry registry;
    private final Codec codec = new Codec();

    private WorkerExecutor driverWorkers;
    private WorkerExecutor migrationWorkers;
    private ExecutedCommands executed;
    private KafkaProducer<String, byte[]> producer;
    private Outbox outbox;
    private Results results;
    private ClusterHosts cluster;
    private Migrations migrations;
    private CommandIntake intake;
    private final List<Long> timers = new ArrayList<>();
    private boolean inventoryPending;
    private boolean stopping;

    public AgentVerticle(AgentConfig config, HypervisorDriver driver, MeterRegistry registry) {
        this.config = config;
        this.driver = driver;
        this.registry = registry;
    }

    /** What the agent found before it started consuming. */
    private record Startup(HostFacts self, Map<Integer, Long> inventoryEnds) {}

    @Override
    public Future<?> start() {
        String host = config.hostId();
        Topics topics = config.kafka().topics();
        KafkaSettings kafka = config.kafka();
        driverWorkers = vertx.createSharedWorkerExecutor("vb-agent-" + host + "-driver", DRIVER_WORKERS);
        // Migrations block their worker for minutes: a long max execute time keeps the blocked-thread checker quiet.
        migrationWorkers = vertx.createSharedWorkerExecutor("vb-agent-" + host + "-migrations", config.maxConcurrentMigrations(),
                7, TimeUnit.DAYS);
        return driverWorkers.executeBlocking(() -> {
            executed = ExecutedCommands.open(config.stateDir());
            Map<Integer, Long> ends = prepareTopics(kafka, topics, host);
            return new Startup(driver.hostFacts(), ends);
        }, false).compose(startup -> {
            producer = KafkaProducer.create(vertx, kafka.producer("vb-agent-" + host));
            outbox = new Outbox(producer, codec, config.source());
            results = new Results(outbox, topics.commandResults(), host);
            DeadLetters deadLetters = new DeadLetters(outbox, topics.deadLetter(), config.source(), registry);
            KafkaConsumer<String, byte[]> inventoryConsumer = KafkaConsumer.create(vertx,
                    kafka.consumer("vb-agent-" + host + "-inventory", "vb-agent-inventory-" + host + "-" + UUID.randomUUID()));
            cluster = new ClusterHosts(vertx, inventoryConsumer, codec, deadLetters, topics.inventory(), startup.inventoryEnds());
            migrations = new Migrations(vertx, context, config, driver, migrationWorkers, driverWorkers, results, executed,
                    this::inventoryChanged, registry);
            KafkaConsumer<String, byte[]> commandConsumer = KafkaConsumer.create(vertx,
                    kafka.consumer("vb-agent-" + host + "-commands", "vb-agent-" + host));
            intake = new CommandIntake(config, commandConsumer, codec, deadLetters, cluster, migrations, results, executed,
                    driver, driverWorkers, registry);
            return driverWorkers.executeBlocking(() -> {
                driver.listen(event -> context.runOnContext(v -> onEvent(event)));
                // Events may be lost while the hypervisor connection is down: resend the whole inventory after.
                driver.onReconnected(() -> context.runOnContext(v -> inventoryChanged()));
                return null;
            }, false).compose(v -> {
                publishInventory();
                timers.add(vertx.setPeriodic(config.sampleInterval().toMillis(), t -> publishLoad()));
                timers.add(vertx.setPeriodic(config.inventoryInterval().toMillis(), t -> publishInventory()));
                return cluster.start(startup.self());
            });
        }).compose(v -> reportInterrupted())
                .compose(v -> intake.start())
                .onSuccess(v -> LOG.info("agent of {} started: {} known hosts, {} remembered commands, up to {} migrations at once",
                        host, cluster.size(), executed.size(), config.maxConcurrentMigrations()));
    }

    @Override
    public Future<?> stop() {
        stopping = true;
        timers.forEach(vertx::cancelTimer);
        Future<Void> intakeStopped = intake == null ? Future.succeededFuture() : intake.stop();
        return intakeStopped
                .compose(v -> cluster == null ? Future.succeededFuture() : cluster.stop().recover(e -> Future.succeededFuture()))
                .compose(v -> migrations == null ? Future.succeededFuture() : migrations.stop(config.stopGracePeriod()))
                .compose(v -> producer == null ? Future.succeededFuture() : outbox.close().recover(e -> Future.succeededFuture()))
                .compose(v -> driverWorkers.executeBlocking(() -> {
                    driver.close();
                    if (executed != null) {
                        executed.close();
                    }
                    return null;
                }, false))
                .eventually(() -> Future.join(driverWorkers.close(), migrationWorkers.close()))
                .onComplete(x -> LOG.info("agent of {} stopped", config.hostId()));
    }

    /** Blocking: creates missing topics, then reads where the inventory topic ends. */
    private static Map<Integer, Long> prepareTopics(KafkaSettings kafka, Topics topics, String host)
            throws InterruptedException, ExecutionException {
        Map<String, Object> props = new HashMap<>(kafka.admin("vb-agent-" + host + "-admin"));
        try (Admin admin = Admin.create(props)) {
            List<Topics.Spec> specs = new ArrayList<>(topics.shared());
            specs.add(topics.commandsSpec(host));
            List<NewTopic> wanted = specs.stream().map(s -> {
                NewTopic t = new NewTopic(s.name(), Optional.empty(), Optional.empty());
                return s.compacted() ? t.configs(Map.of("cleanup.policy", "compact")) : t;
            }).toList();
            admin.createTopics(wanted).values().forEach((name, created) -> {
                try {
                    created.get();
                    LOG.info("created topic {}", name);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage()
                                + "; create it by hand or give the agent the right to create topics", e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while creating topic " + name, e);
                }
            });
            // A topic created a moment ago may not have a leader yet: retry what is retriable for a while.
            long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    return inventoryEnds(admin, topics);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException) || System.nanoTime() > giveUp) {
                        throw e;
                    }
                    LOG.debug("inventory topic not ready yet ({}), retrying", e.getCause().toString());
                    Thread.sleep(200); // a worker thread, never an event loop
                }
            }
        }
    }

    private static Map<Integer, Long> inventoryEnds(Admin admin, Topics topics) throws InterruptedException, ExecutionException {
        TopicDescription inventory = admin.describeTopics(List.of(topics.inventory())).allTopicNames().get()
                .get(topics.inventory());
        Map<org.apache.kafka.common.TopicPartition, OffsetSpec> latest = new HashMap<>();
        inventory.partitions().forEach(p -> latest.put(
                new org.apache.kafka.common.TopicPartition(topics.inventory(), p.partition()), OffsetSpec.latest()));
        Map<Integer, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    /** Migrations accepted by an earlier run that never got a final result: the agent stopped while they ran. */
    private Future<Void> reportInterrupted() {
        Map<String, String> unfinished = executed.unfinished();
        if (unfinished.isEmpty()) {
            return Future.succeededFuture();
        }
        return driverWorkers.executeBlocking(driver::guests, false).compose(guests -> {
            List<Future<Void>> reported = new ArrayList<>();
            unfinished.forEach((id, guest) -> {
                String where = guests.stream().filter(g -> g.name().equals(guest)).findFirst()
                        .map(g -> "is " + g.state().name().toLowerCase() + " on " + config.hostId())
                        .orElse("is no longer on " + config.hostId());
                String reason = "the agent on host " + config.hostId() + " restarted while this migration ran; guest " + guest
                        + " " + where + ": check the inventory before reissuing";
                LOG.warn("command {}: {}", id, reason);
                reported.add(results.publish(id, guest, ResultStatus.FAILED, reason).compose(v ->
                        driverWorkers.executeBlocking(() -> {
                            executed.recordDone(id);
                            return null;
                        }, false)));
            });
            return Future.join(reported).<Void>mapEmpty().recover(e -> Future.succeededFuture());
        });
    }

    private void onEvent(DomainEvent event) {
        if (stopping) {
            return;
        }
        outbox.publish(config.kafka().topics().domainEvents(), config.hostId(), event);
        inventoryChanged();
    }

    private void inventoryChanged() {
        if (inventoryPending || stopping) {
            return;
        }
        inventoryPending = true;
        vertx.setTimer(INVENTORY_DEBOUNCE_MS, t -> {
            inventoryPending = false;
            publishInventory();
        });
    }

    private void publishInventory() {
        if (stopping) {
            return;
        }
        driverWorkers.executeBlocking(() -> {
            HostFacts facts = driver.hostFacts();
            List<GuestDescriptor> guests = driver.guests();
            return new Inventory(facts, guests);
        }, false).onSuccess(inv -> outbox.publish(config.kafka().topics().inventory(), config.hostId(), inv))
                .onFailure(e -> LOG.warn("could not read the inventory of {}: {}", config.hostId(), e.getMessage()));
    }

    private void publishLoad() {
        if (stopping) {
            return;
        }
        driverWorkers.executeBlocking(() -> driver.sampleLoad(config.sampleInterval()), false)
                .onSuccess(load -> outbox.publish(config.kafka().topics().hostLoad(), config.hostId(), load))
                .onFailure(e -> LOG.warn("could not sample the load of {}: {}", config.hostId(), e.getMessage()));
    }
}
