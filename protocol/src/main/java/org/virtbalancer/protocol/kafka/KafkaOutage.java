package org.virtbalancer.protocol.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What the failed sends of one process's producer tell: an outage of Kafka, expected and ridden out.
 * Every failed send is counted ({@code <prefix>_kafka_send_failures_total{topic, reason}}, e.g.
 * {@code vb_agent_…}); the record it carried is lost. The first failure of an outage is logged once
 * at WARN, with its cause and what to check, and
 * {@code <prefix>_kafka_unreachable_since_seconds{client}} holds when the first failed record was
 * handed to the producer; the first send that succeeds after ends the outage, logged once at INFO
 * with how long it lasted and how many records were lost.
 *
 * <p>A record handed to the producer before the one whose success ended an outage, that fails
 * after it, is late news of that outage: counted, and it does not open another.
 */
public final class KafkaOutage {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOutage.class);
    /** The send did not complete in time: the record expired (delivery.timeout.ms) or its topic's metadata never came. */
    static final String TIMEOUT = "timeout";
    /** The producer's idempotence state broke (out-of-order sequence, unknown producer id, …): it is replaced. */
    static final String PRODUCER_STATE = "producer_state";
    static final String OTHER = "other";
    private static final List<String> REASONS = List.of(TIMEOUT, PRODUCER_STATE, OTHER);

    private final MeterRegistry registry;
    private final String prefix;
    private final String who;
    private final String bootstrapServers;
    private final LongSupplier clock;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Gauge unreachableSince;

    /** When the first failed record of the open outage was handed over (epoch ms); 0 when none is open. */
    private long since;
    private long lost;
    private final Map<String, Long> lostByTopic = new TreeMap<>();
    /** When the record whose success ended the last outage was handed over. */
    private long recoveredFrom;

    /**
     * @param prefix           of the metric names, e.g. {@code vb.agent}
     * @param client           the process's name, the {@code client} label of its gauge (one JVM may run several)
     * @param who              names the process in the log, e.g. {@code agent fleet-h1}
     * @param bootstrapServers where the brokers are, for the log
     * @param topics           the topics it writes to: their failure series are exported at 0 from the start
     * @param clock            epoch ms
     */
    public KafkaOutage(MeterRegistry registry, String prefix, String client, String who, String bootstrapServers,
                       Collection<String> topics, LongSupplier clock) {
        this.registry = registry;
        this.prefix = prefix;
        this.who = who;
        this.bootstrapServers = bootstrapServers;
        this.clock = clock;
        topics.forEach(t -> REASONS.forEach(r -> counter(t, r)));
        unreachableSince = Gauge.builder(prefix + ".kafka.unreachable.since", this, o -> o.since() / 1000.0)
                .baseUnit("seconds").tag("client", client)
                .description("When the first record that Kafka did not take during the current outage was sent (Unix time);"
                        + " 0 while sends succeed")
                .strongReference(true).register(registry);
    }

    /** Which kind of failure {@code e} is, as the {@code reason} label says it. */
    static String reason(Throwable e) {
        if (leavesProducerUnusable(e)) {
            return PRODUCER_STATE;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException) {
                return TIMEOUT;
            }
        }
        return OTHER;
    }

    /**
     * Whether {@code e} (or its cause) leaves an idempotent producer unable to send again: its
     * sequence numbers or producer id no longer match the broker's. Only a new producer (with a new
     * producer id) sends again.
     */
    static boolean leavesProducerUnusable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfOrderSequenceException || t instanceof InvalidProducerEpochException
                    || t instanceof ProducerFencedException || t instanceof InvalidPidMappingException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A send failed: its record is lost.
     *
     * @param handedAt when the record was handed to the producer (epoch ms)
     * @return whether this failure opened an outage (and was logged)
     */
    boolean failed(String topic, long handedAt, Throwable e) {
        String reason = reason(e);
        counter(topic, reason).increment();
        synchronized (this) {
            if (since == 0 && handedAt < recoveredFrom) {
                LOG.debug("a record for {} sent before Kafka took sends again failed: {}", topic, e.toString());
                return false;
            }
            lost++;
            lostByTopic.merge(topic, 1L, Long::sum);
            if (since != 0) {
                since = Math.min(since, handedAt);
                return false;
            }
            since = handedAt;
        }
        String advice = reason.equals(PRODUCER_STATE)
                ? "A producer cannot send after this error: it is replaced by a new one."
                : "Check that the brokers at " + bootstrapServers + " are running and reachable from this host, and their"
                        + " logs (the producer retries each record for delivery.timeout.ms).";
        LOG.warn("Kafka did not take a record for {} from {} ({}: {}), sent {} s ago: it is lost, and so is every record"
                        + " Kafka does not take until sends succeed again. {} The {} carries on and logs when sends succeed"
                        + " again; {}_kafka_send_failures_total counts what is lost.", topic, who, reason, e.getMessage(),
                seconds(clock.getAsLong() - handedAt), advice, who, prefix.replace('.', '_'));
        return true;
    }

    /**
     * A send succeeded: ends the open outage, if any.
     *
     * @param handedAt when its record was handed to the producer (epoch ms)
     * @return how long the outage that this ended lasted and what it lost; empty if none was open
     */
    Optional<Recovery> succeeded(long handedAt) {
        Recovery r;
        synchronized (this) {
            if (since == 0) {
                return Optional.empty();
            }
            r = new Recovery(Duration.ofMillis(Math.max(0, clock.getAsLong() - since)), lost, Map.copyOf(lostByTopic));
            since = 0;
            lost = 0;
            lostByTopic.clear();
            recoveredFrom = Math.max(recoveredFrom, handedAt);
        }
        LOG.info("Kafka takes what {} sends again, after {} s: {} record(s) were lost meanwhile {}", who,
                seconds(r.lasted().toMillis()), r.lost(), r.lostByTopic());
        return Optional.of(r);
    }

    /** An outage that ended. */
    record Recovery(Duration lasted, long lost, Map<String, Long> lostByTopic) {}

    /** When the first failed record of the open outage was sent (epoch ms); 0 while sends succeed. */
    synchronized long since() {
        return since;
    }

    /** Takes the process's gauge out of the registry (it stopped); the counters stay, shared with others. */
    public void remove() {
        registry.remove(unreachableSince);
    }

    private static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.1f", Math.max(0, ms) / 1000.0);
    }

    private Counter counter(String topic, String reason) {
        return failures.computeIfAbsent(topic + '\n' + reason, k -> Counter.builder(prefix + ".kafka.send.failures")
                .tag("topic", topic).tag("reason", reason)
                .description("Records Kafka did not take (lost): reason timeout (expired, or no metadata), producer_state"
                        + " (the producer was replaced) or other")
                .register(registry));
    }
}
