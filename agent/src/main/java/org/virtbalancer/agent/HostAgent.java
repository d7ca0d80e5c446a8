package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.DomainEvent;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Inventory;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.kafka.SharedProducer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything one host's agent does, whether its process runs one host or a fleet of simulated
 * ones: publishes the host's inventory (at start, on change, periodically), its load every
 * interval and its guests' lifecycle events, all keyed by the host; decides on the commands of its
 * own command topic ({@link HostCommands}) and runs its migrations ({@link Migrations}), remembering
 * its executed command ids in its own state directory. Kafka clients and worker threads belong to
 * the process ({@link AgentVerticle}). All methods but {@link #open()} run on the agent's event loop.
 */
final class HostAgent {
    private static final Logger LOG = LoggerFactory.getLogger(HostAgent.class);
    /** Changes arrive in bursts (a migration emits several events): publish the inventory once per burst. */
    private static final long INVENTORY_DEBOUNCE_MS = 200;
    /** How soon to ask the hypervisor again about a migration it could not answer for at start. */
    static final long RECONCILE_RETRY_MS = 5_000;

    /** What the hosts of one process share; the producer is replaced under them when Kafka breaks it ({@link SharedProducer}). */
    record Shared(Vertx vertx, Context context, Codec codec, SharedProducer producer, ClusterHosts cluster,
                  WorkerExecutor migrationWorkers, MeterRegistry registry, Map<java.nio.file.Path, CommandKeys> keyFiles) {}

    private final AgentConfig config;
    private final HypervisorDriver driver;
    private final WorkerExecutor driverWorkers;
    private final List<Long> timers = new ArrayList<>();
    private Shared shared;
    private ExecutedCommands executed;
    private Outbox outbox;
    private Outbox.Meters outboxMeters;
    private Counter samplesPublished;
    private Results results;
    private Migrations migrations;
    private boolean inventoryPending;
    private boolean stopping;

    /** @param driverWorkers the process's threads for driver calls */
    HostAgent(AgentConfig config, HypervisorDriver driver, WorkerExecutor driverWorkers) {
        this.config = config;
        this.driver = driver;
        this.driverWorkers = driverWorkers;
    }

    String host() {
        return config.hostId();
    }

    /** Blocking (a worker thread): opens the host's memory of executed commands and reads its facts. */
    HostFacts open() throws IOException, DriverException {
        executed = ExecutedCommands.open(config.stateDir());
        return driver.hostFacts();
    }

    /** Wires the host to its process's Kafka clients and workers; gives its command handling. */
    HostCommands connect(Shared process) {
        this.shared = process;
        outboxMeters = new Outbox.Meters(process.registry(), config.hostId());
        outbox = new Outbox(process.producer(), process.codec(), config.source(), outboxMeters);
        samplesPublished = Counter.builder("vb.agent.samples.published").tag("host", config.hostId())
                .description("Load samples the broker acknowledged").register(process.registry());
        results = new Results(outbox, config.kafka().topics().commandResults(), config.hostId());
        DeadLetters deadLetters = new DeadLetters(outbox, config.kafka().topics().deadLetter(), config.source(),
                process.registry());
        migrations = new Migrations(process.vertx(), process.context(), config, driver, process.migrationWorkers(),
                driverWorkers, results, executed, this::inventoryChanged, process.registry());
        return new HostCommands(config, process.codec(), deadLetters, process.cluster(), migrations, results, executed, driver,
                driverWorkers, process.registry(), config.security().keyFile().map(process.keyFiles()::get).orElse(null));
    }

    /**
     * Starts listening to the hypervisor and publishing. The first load sample goes out after
     * {@code phase} of the sample interval (0 < phase <= 1), so the hosts of a fleet spread their
     * samples over the interval instead of sending them all at once.
     */
    Future<Void> start(double phase) {
        Context context = shared.context();
        return driverWorkers.<Void>executeBlocking(() -> {
            driver.listen(event -> context.runOnContext(v -> onEvent(event)));
            // Events may be lost while the hypervisor connection is down: resend the whole inventory after.
            driver.onReconnected(() -> context.runOnContext(v -> inventoryChanged()));
            return null;
        }, false).onSuccess(v -> {
            publishInventory();
            long sample = config.sampleInterval().toMillis();
            long inventory = config.inventoryInterval().toMillis();
            timers.add(shared.vertx().setPeriodic(Math.max(1, Math.round(sample * phase)), sample, t -> publishLoad()));
            timers.add(shared.vertx().setPeriodic(Math.max(1, Math.round(inventory * phase)), inventory,
                    t -> publishInventory()));
        });
    }

    /** Commands whose final result an earlier run began to publish but never noted done: is it on the results topic? */
    List<PublishedResults.Query> reportingQueries() {
        List<PublishedResults.Query> queries = new ArrayList<>();
        executed.unfinished().forEach((id, u) -> {
            if (u.reportingSinceMs() > 0) {
                queries.add(new PublishedResults.Query(id, config.hostId(), u.reportingSinceMs()));
            }
        });
        return queries;
    }

    /**
     * Migrations accepted by an earlier run that never got a final result (the agent died while
     * they ran, or while their result went out): each gets its true outcome from the hypervisor,
     * reported once ({@link Reconciler}); one still running is followed to its end. Completes once
     * every decision is made; followed migrations go on. What the hypervisor cannot answer now is
     * asked again a little later.
     *
     * @param published the ids whose final result from this host is already on the results topic
     */
    Future<Void> reconcile(Set<String> published) {
        return reconcile(published, executed.unfinished().keySet());
    }

    /** Decides on the unfinished commands among {@code ids}; those the hypervisor cannot answer for are asked again later. */
    private Future<Void> reconcile(Set<String> published, Set<String> ids) {
        Map<String, ExecutedCommands.Unfinished> unfinished = new LinkedHashMap<>(executed.unfinished());
        unfinished.keySet().retainAll(ids);
        if (unfinished.isEmpty()) {
            return Future.succeededFuture();
        }
        // A host off the allow-list is not even asked whether the guest arrived there.
        Reconciler reconciler = new Reconciler(config.hostId(), driver, shared.codec(),
                id -> config.security().allows(id) ? shared.cluster().host(id) : Optional.empty());
        return driverWorkers.executeBlocking(() -> {
            Map<String, Reconciler.Decision> decisions = new LinkedHashMap<>();
            for (Map.Entry<String, ExecutedCommands.Unfinished> e : unfinished.entrySet()) {
                try {
                    decisions.put(e.getKey(), reconciler.decide(e.getValue(), published.contains(e.getKey())));
                } catch (DriverException ex) {
                    LOG.warn("command {}: cannot find out yet what became of the migration of {} ({}); asking again in {} ms",
                            e.getKey(), e.getValue().guest(), ex.getMessage(), RECONCILE_RETRY_MS);
                }
            }
            return decisions;
        }, false).compose(decisions -> {
            List<Future<Void>> done = new ArrayList<>();
            decisions.forEach((id, decision) -> done.add(apply(id, unfinished.get(id), decision)));
            Set<String> undecided = new HashSet<>(unfinished.keySet());
            undecided.removeAll(decisions.keySet());
            if (!undecided.isEmpty() && !stopping) {
                shared.vertx().setTimer(RECONCILE_RETRY_MS, t -> {
                    if (!stopping) {
                        reconcile(published, undecided);
                    }
                });
            }
            return Future.join(done).<Void>mapEmpty().recover(e -> Future.succeededFuture());
        });
    }

    private Future<Void> apply(String id, ExecutedCommands.Unfinished unfinished, Reconciler.Decision decision) {
        if (decision instanceof Reconciler.Follow follow) {
            Optional<String> other = migrations.commandFor(unfinished.guest());
            if (other.isPresent()) {
                // Decided late (the hypervisor could not answer at start): the job running now is a newer command's,
                // which the hypervisor let start only once this one's had ended without moving the guest.
                return migrations.reportEnded(id, unfinished.guest(), ResultStatus.FAILED, "the agent on host " + config.hostId()
                        + " restarted while this migration ran; it ended without moving guest " + unfinished.guest()
                        + ", which command " + other.get() + " migrates now", MigrationStats.NONE);
            }
            migrations.adopt(Migrations.Job.adopted(id, follow.command(), follow.target(), follow.request()));
            return Future.succeededFuture();
        }
        if (decision instanceof Reconciler.Report report) {
            return migrations.reportEnded(id, unfinished.guest(), report.status(), report.reason(), report.stats());
        }
        LOG.info("command {}: its final result went out before the restart; noting it done", id);
        return driverWorkers.executeBlocking(() -> {
            executed.recordDone(id);
            return null;
        }, false);
    }

    int rememberedCommands() {
        return executed.size();
    }

    /** Stops publishing; commands already accepted carry on. */
    void quiet() {
        stopping = true;
        if (shared != null) {
            timers.forEach(shared.vertx()::cancelTimer);
        }
    }

    /**
     * Lets running migrations finish within the grace period (then aborts them), and releases
     * the hypervisor connection and the command memory. The producer must stay open until this
     * completes: final results go out through it.
     */
    Future<Void> stop() {
        quiet();
        Future<Void> drained = migrations == null ? Future.succeededFuture() : migrations.stop(config.stopGracePeriod());
        return drained.compose(v -> driverWorkers.<Void>executeBlocking(() -> {
            driver.close();
            if (executed != null) {
                executed.close();
            }
            return null;
        }, false)).onComplete(x -> {
            if (outboxMeters != null) {
                outboxMeters.remove(shared.registry());
            }
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
        shared.vertx().setTimer(INVENTORY_DEBOUNCE_MS, t -> {
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
                .onSuccess(load -> outbox.publish(config.kafka().topics().hostLoad(), config.hostId(), load)
                        .onSuccess(v -> samplesPublished.increment()))
                .onFailure(e -> LOG.warn("could not sample the load of {}: {}", config.hostId(), e.getMessage()));
    }
}
