package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.DriverException;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.agent.driver.MigrationException;
import org.virtbalancer.agent.driver.MigrationProgress;
import org.virtbalancer.agent.driver.MigrationRequest;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The migrations of this host: at most {@code maxConcurrentMigrations} run at once on the
 * migration workers, the rest wait in order. Each ends with exactly one final result. All methods
 * run on the agent's event loop.
 */
final class Migrations {
    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    /** One accepted Migrate command. */
    static final class Job {
        final String commandId;
        final Migrate command;
        final HostFacts target;
        /** An earlier run of the agent started it and the hypervisor still runs it: follow it, never start it. */
        final MigrationRequest adopted;
        boolean started;
        String abortReason;
        long lastProgressMs;
        /** What the driver noted about how the migration ran; written from the driver's threads. */
        final List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();

        Job(String commandId, Migrate command, HostFacts target) {
            this(commandId, command, target, null);
        }

        private Job(String commandId, Migrate command, HostFacts target, MigrationRequest adopted) {
            this.commandId = commandId;
            this.command = command;
            this.target = target;
            this.adopted = adopted;
        }

        /** A migration an earlier run started, to be followed with {@code request}. */
        static Job adopted(String commandId, Migrate command, HostFacts target, MigrationRequest request) {
            return new Job(commandId, command, target, request);
        }
    }

    /** What became of an Abort. */
    record AbortOutcome(ResultStatus status, String reason) {}

    private final Vertx vertx;
    private final Context context;
    private final AgentConfig config;
    private final HypervisorDriver driver;
    private final WorkerExecutor migrationWorkers;
    private final WorkerExecutor driverWorkers;
    private final Results results;
    private final ExecutedCommands executed;
    private final Runnable onChange;
    private final Deque<Job> queue = new ArrayDeque<>();
    private final Map<String, Job> running = new LinkedHashMap<>();
    private final Counter succeeded;
    private final Counter failed;
    private final Counter aborted;
    private final List<Meter> meters = new ArrayList<>();
    private final MeterRegistry registry;
    private Promise<Void> drained;

    Migrations(Vertx vertx, Context context, AgentConfig config, HypervisorDriver driver, WorkerExecutor migrationWorkers,
               WorkerExecutor driverWorkers, Results results, ExecutedCommands executed, Runnable onChange,
               MeterRegistry registry) {
        this.vertx = vertx;
        this.context = context;
        this.config = config;
        this.driver = driver;
        this.migrationWorkers = migrationWorkers;
        this.driverWorkers = driverWorkers;
        this.results = results;
        this.executed = executed;
        this.onChange = onChange;
        this.registry = registry;
        String host = config.hostId();
        this.succeeded = finished(host, "succeeded");
        this.failed = finished(host, "failed");
        this.aborted = finished(host, "aborted");
        meters.add(Gauge.builder("vb.agent.migrations.running", running, Map::size).tag("host", host)
                .description("Migrations running on this host").strongReference(true).register(registry));
        meters.add(Gauge.builder("vb.agent.migrations.queued", queue, Deque::size).tag("host", host)
                .description("Accepted migrations waiting for a free slot").strongReference(true).register(registry));
    }

    private Counter finished(String host, String outcome) {
        return Counter.builder("vb.agent.migrations.finished").tag("host", host).tag("outcome", outcome)
                .description("Migrations this agent finished: succeeded, failed, or aborted (by an Abort command,"
                        + " a deadline or the agent stopping)").register(registry);
    }

    /** The command already moving {@code guest}, if any. */
    Optional<String> commandFor(String guest) {
        return all().stream().filter(j -> j.command.guest().equals(guest)).map(j -> j.commandId).findFirst();
    }

    /** Why the job starts now or waits, for the ACCEPTED result. */
    String admissionNote() {
        int busy = running.size();
        return busy < config.maxConcurrentMigrations()
                ? "accepted: starting now"
                : "accepted: queued behind " + (busy + queue.size()) + " migrations; host " + config.hostId() + " runs at most "
                + config.maxConcurrentMigrations() + " at once";
    }

    void submit(Job job) {
        queue.addLast(job);
        startNext();
    }

    /**
     * Follows a migration that an earlier run of the agent started and the hypervisor still runs.
     * It runs already, so it takes a slot at once, whatever the limit; it can be aborted like any other.
     */
    void adopt(Job job) {
        run(job);
    }

    /**
     * Reports the final result of a migration that an earlier run of the agent accepted and that
     * has ended (or never started) without a result; nothing runs.
     */
    Future<Void> reportEnded(String commandId, String guest, ResultStatus status, String reason, MigrationStats stats) {
        count(commandId, status, reason);
        return reportFinal(commandId, guest, status, reason, stats);
    }

    /** Stops a queued or running migration; it then ends FAILED "aborted: …". */
    Future<AbortOutcome> abort(String commandId, String guest, String reason) {
        String why = reason.isBlank() ? "requested by an Abort command" : reason;
        Job job = all().stream().filter(j -> j.commandId.equals(commandId)).findFirst().orElse(null);
        if (job == null) {
            return Future.succeededFuture(new AbortOutcome(ResultStatus.REJECTED, "no migration with command id " + commandId
                    + " is queued or running on host " + config.hostId() + "; it may have finished already: check its results"));
        }
        if (!job.command.guest().equals(guest)) {
            return Future.succeededFuture(new AbortOutcome(ResultStatus.REJECTED, "command " + commandId + " migrates guest "
                    + job.command.guest() + ", not " + guest + ": check the command id"));
        }
        if (!job.started) {
            queue.remove(job);
            finish(job, ResultStatus.FAILED, "aborted: " + why + " (before it started)", MigrationStats.NONE);
            return Future.succeededFuture(new AbortOutcome(ResultStatus.SUCCEEDED, "removed migration " + commandId + " of "
                    + guest + " from the queue"));
        }
        job.abortReason = why;
        return driverWorkers.executeBlocking(() -> driver.abort(guest), false).map(stopped -> stopped
                ? new AbortOutcome(ResultStatus.SUCCEEDED, "stopping migration " + commandId + " of " + guest)
                : new AbortOutcome(ResultStatus.FAILED, "migration " + commandId + " of " + guest + " was already finishing"))
                .recover(e -> {
                    job.abortReason = null;
                    return Future.succeededFuture(new AbortOutcome(ResultStatus.FAILED, e instanceof DriverException
                            ? e.getMessage() : "the hypervisor could not abort migration " + commandId + ": " + e));
                });
    }

    int running() {
        return running.size();
    }

    int queued() {
        return queue.size();
    }

    /**
     * Fails what waits, gives running migrations {@code grace} to finish, then aborts them; completes
     * when every job has its final result.
     */
    Future<Void> stop(Duration grace) {
        while (!queue.isEmpty()) {
            Job job = queue.pollFirst();
            finish(job, ResultStatus.FAILED, "the agent on host " + config.hostId() + " stopped before this migration"
                    + " started; reissue it", MigrationStats.NONE);
        }
        drained = Promise.promise();
        if (running.isEmpty()) {
            drained.tryComplete();
        } else {
            LOG.info("waiting up to {} for {} running migrations", grace, running.size());
            long timer = vertx.setTimer(Math.max(1, grace.toMillis()), t -> List.copyOf(running.values()).forEach(job ->
                    abort(job.commandId, job.command.guest(), "the agent on host " + config.hostId() + " is stopping")));
            drained.future().onComplete(x -> vertx.cancelTimer(timer));
        }
        return drained.future().onComplete(x -> meters.forEach(registry::remove));
    }

    private List<Job> all() {
        List<Job> jobs = new ArrayList<>(running.values());
        jobs.addAll(queue);
        return jobs;
    }

    private void startNext() {
        while (running.size() < config.maxConcurrentMigrations() && !queue.isEmpty()) {
            Job job = queue.pollFirst();
            if (System.currentTimeMillis() >= job.command.deadlineTs()) {
                finish(job, ResultStatus.FAILED, "the deadline passed while the migration waited for a free slot on host "
                        + config.hostId() + "; reissue it with a later deadline or raise maxConcurrentMigrations", MigrationStats.NONE);
                continue;
            }
            run(job);
        }
    }

    private void run(Job job) {
        job.started = true;
        running.put(job.commandId, job);
        Migrate m = job.command;
        long now = System.currentTimeMillis();
        long deadline = m.options().abortAfterS() > 0 ? Math.min(m.deadlineTs(), now + m.options().abortAfterS() * 1000) : m.deadlineTs();
        MigrationRequest request = job.adopted != null ? job.adopted
                : new MigrationRequest(m.guest(), job.target, m.mode(), m.options(), Instant.ofEpochMilli(deadline));
        MigrationProgress progress = new MigrationProgress() {
            @Override
            public void progress(int percent, MigrationStats stats) {
                context.runOnContext(v -> Migrations.this.progress(job, percent, stats));
            }

            @Override
            public void note(String text) {
                job.notes.add(text);
            }
        };
        if (job.adopted != null) {
            LOG.info("following the migration of {} to {} ({}), command {}, which the hypervisor ran on while the agent was down",
                    m.guest(), m.target(), m.mode(), job.commandId);
        } else {
            LOG.info("migrating {} to {} ({}), command {}", m.guest(), m.target(), m.mode(), job.commandId);
        }
        // Unordered: the migration workers run up to maxConcurrentMigrations of these side by side.
        migrationWorkers.executeBlocking(() -> job.adopted != null ? driver.followMigration(request, progress)
                        : driver.migrate(request, progress), false)
                .onSuccess(stats -> finish(job, ResultStatus.SUCCEEDED, "migrated " + m.guest() + " to " + m.target()
                        + (job.notes.isEmpty() ? "" : "; " + String.join("; ", job.notes)), stats))
                .onFailure(e -> {
                    MigrationStats stats = e instanceof MigrationException me ? me.stats() : MigrationStats.NONE;
                    String reason = e instanceof MigrationException me ? me.reason() : "the hypervisor driver failed: " + e;
                    if (job.abortReason != null) {
                        reason = "aborted: " + job.abortReason + "; " + m.guest() + " stays on " + config.hostId();
                    }
                    finish(job, ResultStatus.FAILED, reason, stats);
                });
    }

    private void progress(Job job, int percent, MigrationStats stats) {
        long now = System.currentTimeMillis();
        if (!running.containsKey(job.commandId) || percent >= 100
                || now - job.lastProgressMs < config.progressInterval().toMillis()) {
            return;
        }
        job.lastProgressMs = now;
        results.publish(job.commandId, job.command.guest(), ResultStatus.PROGRESS, percent, "", stats);
    }

    private void count(String commandId, ResultStatus status, String reason) {
        if (status == ResultStatus.SUCCEEDED) {
            succeeded.increment();
            LOG.info("command {}: {}", commandId, reason);
        } else {
            (reason.startsWith("aborted") ? aborted : failed).increment();
            LOG.warn("command {} failed: {}", commandId, reason);
        }
    }

    /**
     * The one way a migration's final result goes out: noted as being reported (on disk), published,
     * then noted done. A restart after the first step looks on the results topic before reporting again.
     */
    private Future<Void> reportFinal(String commandId, String guest, ResultStatus status, String reason, MigrationStats stats) {
        return driverWorkers.<Void>executeBlocking(() -> {
                    executed.recordReporting(commandId, System.currentTimeMillis());
                    return null;
                }, false)
                .compose(v -> results.publish(commandId, guest, status, status == ResultStatus.SUCCEEDED ? 100 : 0, reason, stats))
                .compose(v -> driverWorkers.<Void>executeBlocking(() -> {
                    executed.recordDone(commandId);
                    return null;
                }, false))
                .onFailure(e -> LOG.warn("command {}: final result not confirmed ({}); the next start checks the results topic"
                        + " and reports it if it is not there", commandId, e.toString()));
    }

    private void finish(Job job, ResultStatus status, String reason, MigrationStats stats) {
        count(job.commandId, status, reason);
        reportFinal(job.commandId, job.command.guest(), status, reason, stats)
                .onComplete(x -> {
                    if (running.remove(job.commandId) != null) {
                        startNext();
                    }
                    onChange.run();
                    if (drained != null && running.isEmpty()) {
                        drained.tryComplete();
                    }
                });
    }
}
