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
import org.virtbalancer.protocol.SigningKeys;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides on each command of one host's command topic: reject it with a reason, or accept it and
 * hand it to the host's {@link Migrations}. Runs every command id at most once. {@link CommandIntake}
 * calls it one record at a time, in order, on the agent's event loop.
 *
 * <p>With signing keys ({@link CommandSecurity#keyFile()}) a command runs only when it is signed
 * with one of them and unaltered, was issued within the window of this agent's clock, and its id
 * was never acted on here. A command failing the signature check goes to the dead-letter topic
 * and gets a REJECTED result, unless its id is one this agent acted on: then that id's results
 * are the real command's, and a forged copy must not add one (nor is a forged id remembered, so a
 * forgery cannot use up the id of a real command still to come). A replayed command (signed, id
 * already acted on) goes to the dead-letter topic only, for the same reason. An expired one is
 * authentic: it gets its REJECTED result, is remembered, and goes to the dead-letter topic too.
 */
final class HostCommands {
    private static final Logger LOG = LoggerFactory.getLogger(HostCommands.class);

    /** Why a command was rejected: the {@code reason} label of {@code vb.agent.commands.rejected}. */
    enum Rejection {
        /** Carries no signature, and this agent has signing keys. */
        UNSIGNED,
        /** Signed with a key id this agent does not have. */
        UNKNOWN_KEY,
        /** The signature does not match: altered, signed with another key, or not a signature at all. */
        BAD_SIGNATURE,
        /** Issued outside the signature window of this agent's clock. */
        EXPIRED,
        /** Signed, but its id was acted on before: a replay. */
        REPLAYED,
        /** From a leader older than one this agent has heard from. */
        STALE_EPOCH,
        /** Names another source host. */
        WRONG_HOST,
        /** Its deadline passed before it could start. */
        DEADLINE_PASSED,
        /** Its target is not in the cluster inventory. */
        UNKNOWN_TARGET,
        /** Its target is not on this agent's allow-list. */
        TARGET_NOT_ALLOWED,
        /** Its guest is not on this host. */
        GUEST_ABSENT,
        /** Its guest is migrating already. */
        GUEST_BUSY;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

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
    private final Map<Rejection, Counter> rejected = new EnumMap<>(Rejection.class);
    private final MeterRegistry registry;
    /** The signing keys commands must carry; null when they need none. */
    private final CommandKeys keys;
    private final String topic;
    private long highestEpoch;

    /** @param keys the key file commands must be signed with; null: they need no signature */
    HostCommands(AgentConfig config, Codec codec, DeadLetters deadLetters, ClusterHosts cluster, Migrations migrations,
                 Results results, ExecutedCommands executed, HypervisorDriver driver, WorkerExecutor driverWorkers,
                 MeterRegistry registry, CommandKeys keys) {
        this.config = config;
        this.codec = codec;
        this.deadLetters = deadLetters;
        this.cluster = cluster;
        this.migrations = migrations;
        this.results = results;
        this.executed = executed;
        this.driver = driver;
        this.driverWorkers = driverWorkers;
        this.registry = registry;
        this.keys = keys;
        this.topic = config.kafka().topics().commands(config.hostId());
        this.duplicates = Counter.builder("vb.agent.commands.duplicate").tag("host", config.hostId())
                .description("Commands delivered again after they were acted on; not run again").register(registry);
        this.migrateReceived = received(registry, "migrate");
        this.abortReceived = received(registry, "abort");
        // Exported at 0 from the start, so that an alert on increase() sees the first one: the target check
        // always, the signature checks where commands must be signed, the allow-list's where there is one.
        count(Rejection.UNKNOWN_TARGET, 0);
        if (keys != null) {
            for (Rejection r : List.of(Rejection.UNSIGNED, Rejection.UNKNOWN_KEY, Rejection.BAD_SIGNATURE, Rejection.EXPIRED,
                    Rejection.REPLAYED)) {
                count(r, 0);
            }
        }
        if (!config.security().allowedTargets().isEmpty()) {
            count(Rejection.TARGET_NOT_ALLOWED, 0);
        }
    }

    private void count(Rejection why) {
        count(why, 1);
    }

    private void count(Rejection why, int n) {
        rejected.computeIfAbsent(why, w -> Counter.builder("vb.agent.commands.rejected").tag("host", config.hostId())
                .tag("reason", w.label()).description("Commands this agent rejected, by kind of reason (the full reason is"
                        + " in the REJECTED result or the dead letter)").register(registry)).increment(n);
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
        (envelope.body() instanceof Migrate ? migrateReceived : abortReceived).increment();
        if (keys == null) {
            return decide(envelope);
        }
        return driverWorkers.executeBlocking(keys::current, false)
                .compose(current -> authenticate(record, envelope, current));
    }

    /** The signature, id and time checks of a signed agent; then {@link #decide}. */
    private Future<Void> authenticate(KafkaConsumerRecord<String, byte[]> record, Envelope envelope, SigningKeys current) {
        String id = envelope.id();
        String guest = guestOf(envelope);
        String host = config.hostId();
        SigningKeys.Verification check = current.verify(envelope, record.value());
        if (!check.valid()) {
            Rejection why = check instanceof SigningKeys.Verification.Unsigned ? Rejection.UNSIGNED
                    : check instanceof SigningKeys.Verification.UnknownKey ? Rejection.UNKNOWN_KEY : Rejection.BAD_SIGNATURE;
            String advice = switch (why) {
                case UNSIGNED -> "host " + host + " runs only commands signed with a key of " + keys.file()
                        + "; the balancer signs with --signing-key-file, anyone else's command is refused";
                case UNKNOWN_KEY -> "if that key is the cluster's new key, add it to " + keys.file() + " on every agent"
                        + " (they read it again by themselves) before the balancers sign with it";
                default -> "it is not run; if the balancer sent it, give the balancer and this agent the same key under"
                        + " that id";
            };
            return refuseUnauthentic(record, id, guest, why, "command refused: " + check.problem() + "; " + advice);
        }
        if (executed.contains(id)) {
            count(Rejection.REPLAYED);
            return deadLetters.reject(record, DeadLetters.Why.REPLAYED, "command refused: its id " + id + " was already acted"
                    + " on by host " + host + ", and a signed command runs at most once: this copy (a replay, or a redelivery"
                    + " after a crash) is not run, and the results of the first delivery stand");
        }
        long skewMs = envelope.ts() - System.currentTimeMillis();
        long windowMs = config.security().window().toMillis();
        if (Math.abs(skewMs) > windowMs) {
            String reason = "command refused: it was issued at " + Instant.ofEpochMilli(envelope.ts()) + ", "
                    + Math.abs(skewMs) / 1000 + " s " + (skewMs < 0 ? "before" : "after") + " host " + host + "'s clock,"
                    + " outside the " + windowMs / 1000 + " s either way it accepts (--signature-window): a delayed or"
                    + " replayed command, or a clock that is off; check that both hosts keep time (NTP) and issue it again";
            return deadLetters.reject(record, DeadLetters.Why.EXPIRED, reason)
                    .compose(v -> reject(id, guest, Rejection.EXPIRED, reason));
        }
        return decide(envelope);
    }

    /**
     * A command that fails the signature check: to the dead-letter topic, counted, and answered with a
     * REJECTED result unless its id belongs to a command this agent acted on (whose results those are).
     * Nothing is remembered: the id stays free for the real command.
     */
    private Future<Void> refuseUnauthentic(KafkaConsumerRecord<String, byte[]> record, String id, String guest, Rejection why,
                                           String reason) {
        count(why);
        Future<Void> letter = deadLetters.reject(record, DeadLetters.Why.SIGNATURE, reason);
        if (executed.contains(id)) {
            LOG.warn("no REJECTED result for the unauthentic copy of command {}: that id belongs to a command host {} acted on",
                    id, config.hostId());
            return letter;
        }
        return letter.compose(v -> results.publish(id, guest, ResultStatus.REJECTED, reason)
                .recover(e -> Future.succeededFuture()));
    }

    private static String guestOf(Envelope envelope) {
        return envelope.body() instanceof Migrate m ? m.guest() : ((Abort) envelope.body()).guest();
    }

    /** What to do with a command that is valid and, where keys are configured, authentic. */
    private Future<Void> decide(Envelope envelope) {
        String id = envelope.id();
        if (executed.contains(id)) {
            duplicates.increment();
            LOG.warn("command {} was delivered again; it was already acted on, so it is not run again", id);
            return Future.succeededFuture();
        }
        String guest = guestOf(envelope);
        if (envelope.epoch() > 0 && envelope.epoch() < highestEpoch) {
            return reject(id, guest, Rejection.STALE_EPOCH, "issued by a balancer leader with epoch " + envelope.epoch()
                    + ", but a leader with epoch " + highestEpoch + " has since spoken: the current leader will decide again");
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
            return reject(id, m.guest(), Rejection.WRONG_HOST, "this command names source host " + m.source() + " but reached the agent of " + host
                    + ": send it to " + config.kafka().topics().commands(m.source()));
        }
        if (System.currentTimeMillis() >= m.deadlineTs()) {
            return reject(id, m.guest(), Rejection.DEADLINE_PASSED, "its deadline " + Instant.ofEpochMilli(m.deadlineTs()) + " passed before host " + host
                    + " could start it: issue a new command with a later deadline");
        }
        if (!config.security().allows(m.target())) {
            return reject(id, m.guest(), Rejection.TARGET_NOT_ALLOWED, "target host " + m.target() + " is not one of the hosts"
                    + " host " + host + " may migrate to (" + describe(config.security().allowedTargets()) + ", from"
                    + " --allowed-targets): nothing was started; add it to that list on host " + host
                    + " if it belongs to the cluster");
        }
        Optional<HostFacts> target = cluster.host(m.target());
        if (target.isEmpty()) {
            return reject(id, m.guest(), Rejection.UNKNOWN_TARGET, "target host " + m.target() + " is not a known host of the cluster (no inventory from"
                    + " it): start its agent or pick a host from the inventory");
        }
        Optional<String> busy = migrations.commandFor(m.guest());
        if (busy.isPresent()) {
            return reject(id, m.guest(), Rejection.GUEST_BUSY, "guest " + m.guest() + " is already being migrated by command " + busy.get()
                    + ": wait for its result or abort it first");
        }
        return driverWorkers.executeBlocking(driver::guests, false).compose(guests -> {
            Optional<GuestDescriptor> guest = guests.stream().filter(g -> g.name().equals(m.guest())).findFirst();
            if (guest.isEmpty()) {
                return reject(id, m.guest(), Rejection.GUEST_ABSENT, "guest " + m.guest() + " is not on host " + host
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

    /** The allow-list as a reason shows it: in full when short. */
    private static String describe(Set<String> hosts) {
        return hosts.size() <= 10 ? String.join(", ", hosts) : hosts.size() + " hosts: " + String.join(", ",
                hosts.stream().limit(10).toList()) + ", …";
    }

    private Future<Void> reject(String id, String guest, Rejection why, String reason) {
        count(why);
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
