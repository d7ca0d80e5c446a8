package org.virtbalancer.balancer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.virtbalancer.balancer.core.Action;
import org.virtbalancer.balancer.core.ClusterSnapshot;
import org.virtbalancer.balancer.core.HostSnapshot;
import org.virtbalancer.balancer.execute.Purpose;
import org.virtbalancer.balancer.execute.ResultOutcome;
import org.virtbalancer.protocol.AutomationLevel;
import org.virtbalancer.protocol.CommandResult;
import org.virtbalancer.protocol.MaintenanceState;
import org.virtbalancer.protocol.MaintenanceStatus;
import org.virtbalancer.protocol.MigrationStats;
import org.virtbalancer.protocol.ResultStatus;
import org.virtbalancer.protocol.Topics;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the balancer tells Prometheus. {@link BalancerVerticle} calls it on its own thread: at
 * every tick with its latest {@link ClusterSnapshot}, when the leader's commands are committed,
 * on every result and every record read. Gauges read only values published here as immutable
 * objects, so a scrape on any thread sees one consistent snapshot and never touches the core.
 *
 * <ul>
 *   <li>Model gauges (per host, cluster) come from the snapshot of every balancer, followers included
 *       (their model is kept warm): aggregate them with {@code max}. A host's series go when it leaves
 *       the model. The per-host ones are written for a Prometheus registry only ({@link HostSeries}).</li>
 *   <li>Migration counters and histograms count what happens while this balancer leads: summed over
 *       the balancers they count every migration once.</li>
 *   <li>Lag, dead letters, role and elections are about this process.</li>
 * </ul>
 * Labels are bounded: host ids, fixed words (purpose, reason, resource, state, role, level) and the
 * balancer's own topics, the per-host command topics counted as one.
 */
final class BalancerMetrics implements AutoCloseable {
    /** {@code reason} of a dead letter: not a message at all (unreadable, or failing the schema). */
    static final String INVALID = "invalid";
    /** {@code reason} of a dead letter: a control message without a valid signature, where they must be signed. */
    static final String SIGNATURE = "signature";
    /** {@code reason} of a dead letter: a valid message on a topic where it does not belong. */
    static final String MISPLACED = "misplaced";
    /** {@code reason} of a dead letter: the balancer failed while handling it. */
    static final String UNHANDLED = "unhandled";
    /** A valid control message the balancer will not act on (see {@link org.virtbalancer.balancer.core.BalancerCore#onControl}). */
    static final String REFUSED = "refused";

    /** {@code purpose} of a started migration. */
    static final List<String> PURPOSES = List.of("balance", "maintenance", "manual");
    /** {@code reason} of a failed migration. */
    static final List<String> FAILURES = List.of("failed", "rejected", "timed_out", "aborted");

    private static final long MIB = 1024L * 1024;
    private static final long LAG_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MeterRegistry registry;
    private final Topics topics;
    private final Supplier<BalancerVerticle.Role> role;
    private final Clock clock;
    /** Meters of the whole process (not per host), removed on {@link #close()}. */
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, Counter> started = new HashMap<>();
    private final Map<String, Counter> failed = new HashMap<>();
    private final Counter succeeded;
    private final Timer duration;
    private final Timer downtime;
    private final DistributionSummary transferred;
    private final Timer planning;
    private final Map<String, TopicLag> lag = new LinkedHashMap<>();

    /** The per-host series; only a Prometheus registry gets them (see {@link HostSeries}). */
    private final Optional<HostSeries> hostSeries;
    private final Optional<PrometheusRegistry> prometheus;

    /** The latest snapshot seen (the balancer's thread only). */
    private ClusterSnapshot last;

    // Published for the gauges.
    private volatile ClusterView cluster = ClusterView.NONE;
    private volatile org.apache.kafka.clients.consumer.Consumer<?, ?> consumer;
    private Map<String, Double> recordsLag = Map.of();
    private long recordsLagAt;

    /** The cluster as the gauges read it. */
    private record ClusterView(double imbalance, int hosts, int guests, int inFlight, int recommendations,
                               AutomationLevel automation) {
        static final ClusterView NONE = new ClusterView(0, 0, 0, 0, 0, null);
    }

    /** The newest record handled on a topic (or group of topics), epoch ms; -1 before the first. */
    private static final class TopicLag {
        volatile long newest = -1;
    }

    /**
     * @param role  this balancer's role now, read at scrape time
     * @param clock for the age of the newest records
     */
    BalancerMetrics(MeterRegistry registry, Topics topics, Supplier<BalancerVerticle.Role> role, Clock clock) {
        this.registry = registry;
        this.topics = topics;
        this.role = role;
        this.clock = clock;
        this.prometheus = MetricsScrape.prometheus(registry).map(PrometheusMeterRegistry::getPrometheusRegistry);
        this.hostSeries = prometheus.map(p -> {
            HostSeries series = new HostSeries();
            p.register(series);
            return series;
        });
        for (String purpose : PURPOSES) {
            started.put(purpose, keep(Counter.builder("vb.migrations.started").tag("purpose", purpose)
                    .description("Migrations the leading balancer started: balance (overload, imbalance), maintenance"
                            + " (drains) or manual (plans an operator approved)").register(registry)));
        }
        succeeded = keep(Counter.builder("vb.migrations.succeeded")
                .description("Migrations that ended with the guest on its target, while this balancer led")
                .register(registry));
        for (String reason : FAILURES) {
            failed.put(reason, keep(Counter.builder("vb.migrations.failed").tag("reason", reason)
                    .description("Migrations that did not move their guest, while this balancer led: rejected by the agent,"
                            + " timed out (deadline passed, or no result in time), aborted, or failed")
                    .register(registry)));
        }
        duration = keep(Timer.builder("vb.migration.duration")
                .description("How long successful migrations took, as their agents measured")
                .serviceLevelObjectives(seconds(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600))
                .register(registry));
        downtime = keep(Timer.builder("vb.migration.downtime")
                .description("How long guests were paused at switch-over in successful migrations")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
                        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
                        Duration.ofSeconds(10), Duration.ofSeconds(30))
                .register(registry));
        transferred = keep(DistributionSummary.builder("vb.migration.transferred").baseUnit("bytes")
                .description("Memory and disk copied by successful migrations")
                .serviceLevelObjectives(mib(16), mib(64), mib(256), mib(1024), mib(4096), mib(16384), mib(65536),
                        mib(262144))
                .register(registry));
        planning = keep(Timer.builder("vb.plan.duration")
                .description("Time the leader's decision core takes per tick: deadlines, drains, detection and planning")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
                        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5))
                .register(registry));

        gauge("vb.migrations.in.flight", () -> cluster.inFlight(),
                "Migrations issued and not finished, in this balancer's model");
        gauge("vb.recommendations.pending", () -> cluster.recommendations(),
                "Plans recommended and waiting for an operator's approval (vbal approve)");
        gauge("vb.cluster.imbalance", () -> cluster.imbalance(),
                "Standard deviation of the normalised load of the reporting hosts in service");
        gauge("vb.cluster.hosts", () -> cluster.hosts(), "Hosts in this balancer's model");
        gauge("vb.cluster.guests", () -> cluster.guests(), "Guests in this balancer's model");
        for (AutomationLevel level : AutomationLevel.values()) {
            keep(Gauge.builder("vb.automation.level", () -> cluster.automation() == level ? 1 : 0)
                    .tag("level", label(level.name()))
                    .description("1 for the automation level in force (full, partial, manual), 0 for the others")
                    .register(registry));
        }
        for (BalancerVerticle.Role r : BalancerVerticle.Role.values()) {
            keep(Gauge.builder("vb.balancer.role", () -> role.get() == r ? 1 : 0)
                    .tag("role", label(r.name()))
                    .description("1 for what this balancer does now (follower, opening, catching_up, leader), 0 for the rest")
                    .register(registry));
        }
        for (String group : List.of(topics.inventory(), topics.hostLoad(), topics.domainEvents(), topics.commandResults(),
                topics.control(), commandTopics())) {
            TopicLag t = new TopicLag();
            lag.put(group, t);
            keep(Gauge.builder("vb.consumer.lag.records", () -> recordsLag().getOrDefault(group, consumer == null
                            ? Double.NaN : 0.0))
                    .tag("topic", group)
                    .description("Records on the topic not yet read by this balancer's consumer (per-host command"
                            + " topics summed as one)")
                    .register(registry));
            keep(Gauge.builder("vb.consumer.lag.seconds", () -> lagSeconds(group, t))
                    .tag("topic", group)
                    .description("Age of the newest record handled on the topic while records wait, 0 when caught up")
                    .register(registry));
        }
    }

    /** Watches the balancer's Kafka consumer for its lag (its metrics may be read from any thread). */
    void watch(org.apache.kafka.clients.consumer.Consumer<?, ?> nativeConsumer) {
        this.consumer = nativeConsumer;
    }

    /** Every record the consumer hands over, after the balancer handled it. */
    void onRecord(KafkaConsumerRecord<String, Received> record) {
        TopicLag t = lag.get(group(record.topic()));
        if (t != null && record.timestamp() > t.newest) {
            t.newest = record.timestamp();
        }
    }

    /** Runs the leader's decision tick and records how long it took. */
    List<Action> plan(Supplier<List<Action>> tick) {
        long start = System.nanoTime();
        try {
            return tick.get();
        } finally {
            planning.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The leader's actions of one tick, once they are committed to Kafka. The core sends an Abort
     * only for a migration it gave up on (no result past its deadline): that is a timed-out migration.
     */
    void onSent(List<Action> actions) {
        for (Action a : actions) {
            if (a instanceof Action.SendMigrate m) {
                started.get(purpose(m)).increment();
            } else if (a instanceof Action.SendAbort) {
                failed.get("timed_out").increment();
            }
        }
    }

    /** A command result, with what it meant to the core; counted while this balancer leads. */
    void onResult(CommandResult result, ResultOutcome outcome) {
        if (role.get() != BalancerVerticle.Role.LEADER) {
            return;
        }
        if (outcome instanceof ResultOutcome.Succeeded) {
            succeeded.increment();
            MigrationStats stats = result.stats();
            duration.record(stats.elapsedMs(), TimeUnit.MILLISECONDS);
            downtime.record(stats.downtimeMs(), TimeUnit.MILLISECONDS);
            transferred.record(stats.transferredMiB() * (double) MIB);
        } else if (outcome instanceof ResultOutcome.Failed f) {
            failed.get(failure(result.status(), f.reason())).increment();
        }
    }

    /** A message sent to the dead-letter topic; {@code reason} is {@link #INVALID}, {@link #MISPLACED} or {@link #UNHANDLED}. */
    void deadLettered(String topic, String reason) {
        Counter.builder("vb.dead.letters").tag("reason", reason).tag("topic", topic)
                .description("Messages written to the dead-letter topic, by kind of problem and the topic they came from")
                .register(registry).increment();
    }

    /**
     * After each tick: publishes the snapshot (when it is a new one) for the gauges, registers the
     * series of new hosts and removes those of hosts that left the model.
     */
    void onTick(ClusterSnapshot snapshot) {
        if (snapshot == null || snapshot == last) {
            return;
        }
        last = snapshot;
        Map<String, Integer> remaining = new HashMap<>();
        for (MaintenanceStatus s : snapshot.maintenance()) {
            remaining.put(s.host(), s.remaining());
        }
        Map<String, HostSeries.Row> rows = new HashMap<>(snapshot.hosts().size() * 2);
        int guests = 0;
        for (HostSnapshot h : snapshot.hosts()) {
            int left = h.maintenance() == MaintenanceState.ACTIVE ? 0 : remaining.getOrDefault(h.host(), h.guests());
            rows.put(h.host(), new HostSeries.Row(h, left));
            guests += h.guests();
        }
        hostSeries.ifPresent(s -> s.publish(rows));
        cluster = new ClusterView(snapshot.imbalance(), rows.size(), guests, snapshot.inFlight().size(),
                snapshot.recommendations().size(), snapshot.automation());
    }

    /** Takes every series of this balancer out of the registry. */
    @Override
    public void close() {
        hostSeries.ifPresent(s -> prometheus.orElseThrow().unregister(s));
        meters.forEach(registry::remove);
    }

    private void gauge(String name, Supplier<Number> value, String description) {
        keep(Gauge.builder(name, value).description(description).register(registry));
    }

    private <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    private String commandTopics() {
        return topics.prefix() + "commands.*";
    }

    /** The lag label of a topic: its name, or one name for all the per-host command topics. */
    private String group(String topic) {
        return topic.startsWith(topics.prefix() + "commands.") ? commandTopics() : topic;
    }

    private double lagSeconds(String group, TopicLag t) {
        double records = recordsLag().getOrDefault(group, 0.0);
        if (records <= 0) {
            return 0;
        }
        long newest = t.newest;
        return newest < 0 ? Double.NaN : Math.max(0, clock.millis() - newest) / 1000.0;
    }

    /**
     * Records not yet read per topic group, from the consumer's own {@code records-lag} metric of
     * each partition as of its latest fetch; computed at most once a second.
     */
    private synchronized Map<String, Double> recordsLag() {
        long now = System.nanoTime();
        org.apache.kafka.clients.consumer.Consumer<?, ?> c = consumer;
        if (c == null || recordsLagAt != 0 && now - recordsLagAt < LAG_REFRESH_NANOS) {
            return recordsLag;
        }
        Map<String, Double> sums = new HashMap<>();
        try {
            for (Map.Entry<MetricName, ? extends Metric> e : c.metrics().entrySet()) {
                MetricName n = e.getKey();
                String topic = n.tags().get("topic");
                if (!n.name().equals("records-lag") || topic == null || !n.tags().containsKey("partition")
                        || !lag.containsKey(group(topic))) {
                    continue;
                }
                if (e.getValue().metricValue() instanceof Number v && !Double.isNaN(v.doubleValue())) {
                    sums.merge(group(topic), v.doubleValue(), Double::sum);
                }
            }
        } catch (RuntimeException e) {
            // A closed consumer: keep the last figures.
            return recordsLag;
        }
        recordsLag = sums;
        recordsLagAt = now;
        return sums;
    }

    /** {@code purpose} label of a started migration. */
    static String purpose(Action.SendMigrate m) {
        return m.approved() || m.purpose() == Purpose.MANUAL ? "manual" : m.purpose() == Purpose.MAINTENANCE ? "maintenance" : "balance";
    }

    /**
     * {@code reason} label of a failed migration, from its result: the agents' reasons say
     * "aborted: …" for aborted migrations and name the deadline when one passed.
     */
    static String failure(ResultStatus status, String reason) {
        if (status == ResultStatus.REJECTED) {
            return "rejected";
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("deadline") || r.startsWith("timed out")) {
            return "timed_out";
        }
        return r.startsWith("aborted") ? "aborted" : "failed";
    }

    private static String label(String enumName) {
        return enumName.toLowerCase(Locale.ROOT);
    }

    private static Duration[] seconds(long... values) {
        Duration[] d = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = Duration.ofSeconds(values[i]);
        }
        return d;
    }

    private static double mib(long n) {
        return n * (double) MIB;
    }
}
