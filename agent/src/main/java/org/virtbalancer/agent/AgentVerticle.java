package org.virtbalancer.agent;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MeteredDriver;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;
import org.virtbalancer.protocol.kafka.SharedProducer;
import org.virtbalancer.protocol.kafka.KafkaOutage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An agent process: one host's agent ({@link #AgentVerticle(AgentConfig, HypervisorDriver, MeterRegistry)}),
 * or a fleet of simulated hosts ({@link #fleet}). Each host publishes its own inventory, load and
 * events and runs the commands of its own command topic ({@link HostAgent}); the process gives
 * them one producer, one inventory reader, one consumer of all their command topics and one set
 * of worker threads, so thousands of hosts fit in one JVM. Every driver call runs on a worker thread,
 * timed and its errors counted ({@link MeteredDriver}).
 */
public final class AgentVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);
    private static final int DRIVER_WORKERS = 4;
    /** Migration threads of a fleet; more accepted migrations wait for a thread. */
    private static final int MAX_FLEET_MIGRATION_WORKERS = 64;
    private static final java.time.Duration RESULTS_CHECK_TIMEOUT = java.time.Duration.ofSeconds(60);

    private final List<AgentConfig> configs;
    private final List<HypervisorDriver> drivers;
    private final MeterRegistry registry;
    private final boolean fleet;
    /** Host id, or "fleet-<first host>": names this process's Kafka clients and worker pools. */
    private final String name;

    /** On stop, how long the blocking calls still running may take to return before the pools close. */
    private static final Duration STOP_DRAIN = Duration.ofSeconds(10);
    private WorkerExecutor driverWorkers;
    private WorkerExecutor migrationWorkers;
    private SharedProducer producer;
    private KafkaOutage outage;
    private ClusterHosts cluster;
    private CommandIntake intake;
    private final List<HostAgent> hosts = new ArrayList<>();

    /** The agent of one host, as on a real hypervisor: its command consumer is a group member of its own. */
    public AgentVerticle(AgentConfig config, HypervisorDriver driver, MeterRegistry registry) {
        this(List.of(config), List.of(driver), registry, false);
    }

    private AgentVerticle(List<AgentConfig> configs, List<HypervisorDriver> drivers, MeterRegistry registry, boolean fleet) {
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("an agent needs at least one host");
        }
        KafkaSettings kafka = configs.get(0).kafka();
        Set<String> ids = new HashSet<>();
        for (AgentConfig c : configs) {
            if (!ids.add(c.hostId())) {
                throw new IllegalArgumentException("host " + c.hostId() + " is listed twice: give each host its own id");
            }
            if (!c.kafka().equals(kafka)) {
                throw new IllegalArgumentException("the hosts of one agent process share its Kafka connection; host "
                        + c.hostId() + " has other Kafka settings than " + configs.get(0).hostId());
            }
        }
        this.configs = List.copyOf(configs);
        this.drivers = drivers.stream().<HypervisorDriver>map(d -> new MeteredDriver(d, registry)).toList();
        this.registry = registry;
        this.fleet = fleet;
        this.name = fleet ? "fleet-" + configs.get(0).hostId() : configs.get(0).hostId();
    }

    /**
     * Many hosts in one process, each with its own command topic, inventory and load messages,
     * executed-command memory and migrations; for simulated hosts. The command topics are read
     * outside group membership (assigned), with offsets committed in the group {@code <prefix>agent-fleet}.
     *
     * @param hosts   one configuration per host; all with the same Kafka settings
     * @param drivers the driver of each host
     */
    public static AgentVerticle fleet(List<AgentConfig> hosts, Function<String, HypervisorDriver> drivers,
                                      MeterRegistry registry) {
        return new AgentVerticle(hosts, hosts.stream().map(c -> drivers.apply(c.hostId())).toList(), registry, true);
    }

    @Override
    public Future<?> start() {
        KafkaSettings kafka = configs.get(0).kafka();
        int migrationThreads = Math.min(MAX_FLEET_MIGRATION_WORKERS,
                configs.stream().mapToInt(AgentConfig::maxConcurrentMigrations).sum());
        driverWorkers = new DrainingWorkers(vertx, vertx.createSharedWorkerExecutor("vb-agent-" + name + "-driver",
                DRIVER_WORKERS), STOP_DRAIN);
        // Migrations block their worker for minutes: a long max execute time keeps the blocked-thread checker quiet.
        migrationWorkers = new DrainingWorkers(vertx, vertx.createSharedWorkerExecutor("vb-agent-" + name + "-migrations",
                migrationThreads, 7, TimeUnit.DAYS), STOP_DRAIN);
        for (int i = 0; i < configs.size(); i++) {
            hosts.add(new HostAgent(configs.get(i), drivers.get(i), driverWorkers));
        }
        List<String> ids = hosts.stream().map(HostAgent::host).toList();
        return driverWorkers.executeBlocking(() -> {
            // First: a bad key file must stop the agent before it takes any command.
            Map<Path, CommandKeys> keyFiles = new HashMap<>();
            for (AgentConfig c : configs) {
                c.security().keyFile().ifPresent(f -> keyFiles.computeIfAbsent(f, CommandKeys::open));
                if (!c.security().allowedTargets().isEmpty()) {
                    LOG.info("host {} migrates only to {} of the cluster's hosts: {}", c.hostId(),
                            c.security().allowedTargets().size(), c.security().allowedTargets());
                }
            }
            List<HostFacts> own = new ArrayList<>();
            for (HostAgent h : hosts) {
                own.add(h.open());
            }
            return new Startup(own, AgentTopics.prepare(kafka, ids, "vb-agent-" + name + "-admin"), keyFiles);
        }, false).compose(startup -> {
            Topics topics = kafka.topics();
            outage = new KafkaOutage(registry, "vb.agent", name, "agent " + name,
                    kafka.bootstrapServers(), List.of(topics.hostLoad(), topics.inventory(), topics.domainEvents(),
                    topics.commandResults(), topics.deadLetter()), System::currentTimeMillis);
            producer = new SharedProducer(generation -> {
                KafkaProducer<String, byte[]> p = KafkaProducer.create(vertx,
                        kafka.producer("vb-agent-" + name + (generation == 0 ? "" : "-" + generation)));
                // The outbox drops what a later message replaces once 3/4 of the producer's buffer waits (Outbox).
                p.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, kafka.producerBufferBytes() / 4 * 3));
                return p;
            }, outage, registry, "vb.agent", System::currentTimeMillis);
            Outbox outbox = new Outbox(producer, new Codec(), "agent:" + name);
            DeadLetters deadLetters = new DeadLetters(outbox, kafka.topics().deadLetter(), "agent:" + name, registry);
            KafkaConsumer<String, byte[]> inventoryConsumer = KafkaConsumer.create(vertx,
                    kafka.consumer("vb-agent-" + name + "-inventory", "vb-agent-inventory-" + name + "-" + UUID.randomUUID()));
            cluster = new ClusterHosts(vertx, inventoryConsumer, new Codec(), deadLetters, kafka.topics().inventory(),
                    startup.prepared().inventoryEnds());
            HostAgent.Shared shared = new HostAgent.Shared(vertx, context, new Codec(), producer, cluster, migrationWorkers,
                    registry, startup.keyFiles());
            List<HostCommands> commands = hosts.stream().map(h -> h.connect(shared)).toList();
            String group = fleet ? kafka.topics().prefix() + "agent-fleet" : "vb-agent-" + name;
            intake = new CommandIntake(KafkaConsumer.create(vertx, kafka.consumer("vb-agent-" + name + "-commands", group)),
                    commands);
            List<Future<Void>> started = new ArrayList<>();
            for (int i = 0; i < hosts.size(); i++) {
                started.add(hosts.get(i).start((i + 1) / (double) hosts.size()));
            }
            return Future.all(started).compose(v -> cluster.start(startup.own()))
                    .compose(v -> publishedBeforeRestart(kafka))
                    .compose(published -> Future.join(hosts.stream().map(h -> h.reconcile(published)).toList()))
                    .compose(v -> fleet ? intake.assign(startup.prepared().commandPartitions().stream()
                            .map(tp -> new TopicPartition(tp.topic(), tp.partition())).collect(Collectors.toSet()))
                            : intake.subscribe());
        }).onSuccess(v -> {
            int remembered = hosts.stream().mapToInt(HostAgent::rememberedCommands).sum();
            if (fleet) {
                LOG.info("agent fleet of {} hosts ({} .. {}) started: {} known hosts, {} remembered commands",
                        hosts.size(), ids.get(0), ids.get(ids.size() - 1), cluster.size(), remembered);
            } else {
                LOG.info("agent of {} started: {} known hosts, {} remembered commands, up to {} migrations at once",
                        name, cluster.size(), remembered, configs.get(0).maxConcurrentMigrations());
            }
        });
    }

    /**
     * Of the commands whose final result an earlier run began to publish, those whose result is on
     * the results topic: one read of the topic for all hosts, and none at all in the usual case.
     */
    private Future<Set<String>> publishedBeforeRestart(KafkaSettings kafka) {
        List<PublishedResults.Query> queries = hosts.stream().flatMap(h -> h.reportingQueries().stream()).toList();
        if (queries.isEmpty()) {
            return Future.succeededFuture(Set.of());
        }
        LOG.info("{} commands were reporting their final result when the agent stopped; checking {} for them", queries.size(),
                kafka.topics().commandResults());
        return driverWorkers.executeBlocking(() -> PublishedResults.find(kafka, "vb-agent-" + name + "-results-check", queries,
                RESULTS_CHECK_TIMEOUT), false);
    }

    /** What the agent found before it started consuming. */
    private record Startup(List<HostFacts> own, AgentTopics.Prepared prepared, Map<Path, CommandKeys> keyFiles) {}

    @Override
    public Future<?> stop() {
        hosts.forEach(HostAgent::quiet);
        Future<Void> intakeStopped = intake == null ? Future.succeededFuture() : intake.stop();
        return intakeStopped
                .compose(v -> cluster == null ? Future.succeededFuture() : cluster.stop().recover(e -> Future.succeededFuture()))
                .compose(v -> Future.join(hosts.stream().map(HostAgent::stop).toList()).recover(e -> Future.succeededFuture()))
                .compose(v -> producer == null ? Future.succeededFuture() : producer.close().recover(e -> Future.succeededFuture()))
                .onComplete(x -> {
                    if (outage != null) {
                        outage.remove();
                    }
                })
                .eventually(() -> Future.join(driverWorkers.close(), migrationWorkers.close()))
                .onComplete(x -> LOG.info("agent {} stopped", name));
    }
}
