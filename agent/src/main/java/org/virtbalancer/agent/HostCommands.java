package org.virtbalancer.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.agent.driver.HypervisorDriver;
import org.virtbalancer.protocol.Abort;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.GuestDescriptor;
import org.virtbalancer.protocol.HostFacts;
import org.virtbalancer.protocol.Migrate;
import org.virtbalancer.protocol.ResultStatus;

import java.time.Instant;
import java.util.Optional;

/**
 * Decides on each command of one host's command topic: reject it with a reason, or accept it and
 * hand it to the host's {@link Migrations}. Runs every command id at most once. {@link CommandIntake}
 * calls it one record at a time, in order, on the agent's event loop.
 */
final class HostCommands {
    private static final Logger LOG = LoggerFactory.getLogger(HostCommands.class);

    private final AgentConfig config;
    private final Codec codec;
    private final DeadLetters deadLetters;
    private final ClusterHosts cluster;
    private final Migrations migrations;
    private final Results results;
    private final ExecutedCommands executed;
    private final HypervisorDriver driver;
    private final WorkerExecutor driverWorkers;
    private final Counter duplicates;
    private final Counter migrateReceived;
    private final Counter abortReceived;
    private final Counter rejected;
    private final String topic;
    private long highestEpoch;

    HostCommands(AgentConfig config, Codec codec, DeadLetters deadLetters, ClusterHosts cluster, Migrations migrations,
                 Results results, ExecutedCommands executed, HypervisorDriver driver, WorkerExecutor driverWorkers,
                 MeterRegistry registry) {
        this.config = config;
        this.codec = codec;
        this.deadLetters = deadLetters;
        this.cluster = cluster;
        this.migrations = migrations;
        this.results = results;
        this.executed = executed;
        this.driver = driver;
        this.driverWorkers = driverWorkers;
        this.topic = config.kafka().topics().commands(config.hostId());
        this.duplicates = Counter.builder("vb.agent.commands.duplicate").tag("host", config.hostId())
                .description("Commands delivered again after they were acted on; not run again").register(registry);
        this.migrateReceived = received(registry, "migrate");
        this.abortReceived = received(registry, "abort");
        this.rejected = Counter.builder("vb.agent.commands.rejected").tag("host", config.hostId())
                .description("Commands this agent rejected (the reason is in the REJECTED result)").register(registry);
    }

    private Counter received(MeterRegistry registry, String type) {
        return Counter.builder("vb.agent.commands.received").tag("host", config.hostId()).tag("type", type)
                .description("Valid commands read from this host's command topic, duplicates included").register(registry);
    }

    /** This host's command topic. */
    String topic() {
        return topic;
    }

    /** Completes once the decision on the record is on disk and published. */
    Future<Void> handle(KafkaConsumerRecord<String, byte[]> record) {
        Decoded decoded = codec.decode(record.value());
        if (decoded instanceof Decoded.Rejected r) {
            return deadLetters.reject(record, DeadLetters.Why.INVALID, r.reason());
        }
        Envelope envelope = ((Decoded.Ok) decoded).envelope();
        if (!(envelope.body() instanceof Migrate) && !(envelope.body() instanceof Abort)) {
            return deadLetters.reject(record, DeadLetters.Why.MISPLACED, "a " + envelope.type().wireName() + " message does not belong on " + topic
                    + ", which carries only Migrate and Abort commands for host " + config.hostId()
                    + ": send it to its own topic");
        }
        String id = envelope.id();
        (envelope.body() instanceof Migrate ? migrateReceived : abortReceived).increment();
        if (executed.contains(id)) {
            duplicates.increment();
            LOG.warn("command {} was delivered again; it was already acted on, so it is not run again", id);
            return Future.succeededFuture();
        }
        String guest = envelope.body() instanceof Migrate m ? m.guest() : ((Abort) envelope.body()).guest();
        if (envelope.epoch() > 0 && envelope.epoch() < highestEpoch) {
            return reject(id, guest, "issued by a balancer leader with epoch " + envelope.epoch() + ", but a leader with epoch "
                    + highestEpoch + " has since spoken: the current leader will decide again");
        }
        highestEpoch = Math.max(highestEpoch, envelope.epoch());
        if (envelope.body() instanceof Migrate m) {
            return onMigrate(id, m);
        }
        return onAbort(id, (Abort) envelope.body());
    }

    private Future<Void> onMigrate(String id, Migrate m) {
        String host = config.hostId();
        if (!m.source().equals(host)) {
            return reject(id, m.guest(), "this command names source host " + m.source() + " but reached the agent of " + host
                    + ": send it to " + config.kafka().topics().commands(m.source()));
        }
        if (System.currentTimeMillis() >= m.deadlineTs()) {
            return reject(id, m.guest(), "its deadline " + Instant.ofEpochMilli(m.deadlineTs()) + " passed before host " + host
                    + " could start it: issue a new command with a later deadline");
        }
        Optional<HostFacts> target = cluster.host(m.target());
        if (target.isEmpty()) {
            return reject(id, m.guest(), "target host " + m.target() + " is not a known host of the cluster (no inventory from"
                    + " it): start its agent or pick a host from the inventory");
        }
        Optional<String> busy = migrations.commandFor(m.guest());
        if (busy.isPresent()) {
            return reject(id, m.guest(), "guest " + m.guest() + " is already being migrated by command " + busy.get()
                    + ": wait for its result or abort it first");
        }
        return driverWorkers.executeBlocking(driver::guests, false).compose(guests -> {
            Optional<GuestDescriptor> guest = guests.stream().filter(g -> g.name().equals(m.guest())).findFirst();
            if (guest.isEmpty()) {
                return reject(id, m.guest(), "guest " + m.guest() + " is not on host " + host
                        + ": check the inventory for where it is now");
            }
            String note = migrations.admissionNote();
            return driverWorkers.executeBlocking(() -> {
                executed.recordAccepted(id, m.guest(), codec.toJson(m), System.currentTimeMillis());
                return null;
            }, false).compose(v -> {
                LOG.info("command {}: {} {} to {}, {}", id, m.mode(), m.guest(), m.target(), note);
                Future<Void> accepted = results.publish(id, m.guest(), ResultStatus.ACCEPTED, note);
                migrations.submit(new Migrations.Job(id, m, target.get()));
                return accepted.recover(e -> Future.succeededFuture());
            });
        });
    }

    private Future<Void> onAbort(String id, Abort a) {
        return migrations.abort(a.commandId(), a.guest(), a.reason()).compose(outcome -> {
            LOG.info("abort {} of command {}: {} {}", id, a.commandId(), outcome.status(), outcome.reason());
            return recordDone(id).compose(v -> results.publish(id, a.guest(), outcome.status(), outcome.reason())
                    .recover(e -> Future.succeededFuture()));
        });
    }

    private Future<Void> reject(String id, String guest, String reason) {
        rejected.increment();
        LOG.info("command {} rejected: {}", id, reason);
        return recordDone(id).compose(v -> results.publish(id, guest, ResultStatus.REJECTED, reason)
                .recover(e -> Future.succeededFuture()));
    }

    private Future<Void> recordDone(String id) {
        return driverWorkers.executeBlocking(() -> {
            executed.recordDone(id);
            return null;
        }, false);
    }
}
