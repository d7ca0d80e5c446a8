package org.virtbalancer.balancer.service;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.LeaderEpoch;
import org.virtbalancer.protocol.Topics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The leader's only way to the agents: a Kafka producer under the one {@code transactional.id}
 * all balancer leaders share ({@link Topics#leaderTransactionalId()}). Becoming leader calls
 * {@code initTransactions}, which makes the broker fence every earlier producer under that id and
 * abort its open transaction; from then on a deposed leader, hung or partitioned, can no longer
 * commit, and agents read {@code read_committed}, so nothing it sends reaches them. The new
 * leader's epoch is the last committed {@link LeaderEpoch} plus one, written in its first
 * transaction and stamped on every command, so agents can also refuse an older leader's command.
 *
 * <p>Each tick's output (commands and decisions) goes out in one transaction: all or nothing.
 * Kafka calls block, so they run on this channel's own thread, in order; callers get futures.
 * Once a transaction fails (fenced, or the broker gone past the transaction timeout) the channel
 * is closed for good and the balancer must step down and, if it still leads, open a new one.
 */
final class LeaderChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderChannel.class);
    /** An open transaction of a leader that hangs is aborted by the broker after this. */
    static final int TRANSACTION_TIMEOUT_MS = 10_000;
    private static final String LEADER_KEY = "leader";

    /** One record to send in a transaction; {@code commandHost} is the host whose command topic it goes to, or null. */
    record Outgoing(String topic, String key, Envelope envelope, String commandHost) {}

    private final KafkaSettings kafka;
    private final String balancerId;
    private final Codec codec = new Codec();
    private final Consumer<String> ensureCommandTopic;
    private final ExecutorService thread;
    private KafkaProducer<String, byte[]> producer;
    private volatile long epoch;
    private volatile boolean broken;
    /** Calls handed to the channel's thread and not finished: what {@link #pending()} reports. */
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * @param ensureCommandTopic creates a host's command topic when missing (blocking; called on the channel thread)
     */
    LeaderChannel(KafkaSettings kafka, String balancerId, Consumer<String> ensureCommandTopic) {
        this.kafka = kafka;
        this.balancerId = balancerId;
        this.ensureCommandTopic = ensureCommandTopic;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vb-leader-channel-" + balancerId);
            t.setDaemon(true);
            return t;
        });
    }

    /** The epoch this channel stamps on commands; 0 until {@link #open()} completed. */
    long epoch() {
        return epoch;
    }

    /** Fences every earlier leader and commits this one's epoch; completes with the epoch. */
    CompletableFuture<Long> open() {
        return call(() -> {
            Map<String, Object> props = new HashMap<>(kafka.producer("balancer-" + balancerId + "-leader"));
            props.put("transactional.id", kafka.topics().leaderTransactionalId());
            props.put("transaction.timeout.ms", String.valueOf(TRANSACTION_TIMEOUT_MS));
            producer = new KafkaProducer<>(props);
            producer.initTransactions();
            long next = lastEpoch() + 1;
            producer.beginTransaction();
            Envelope env = Envelope.of("balancer:" + balancerId, new LeaderEpoch(next, balancerId), System.currentTimeMillis());
            producer.send(new ProducerRecord<>(kafka.topics().leader(), LEADER_KEY, codec.encode(env)));
            producer.commitTransaction();
            epoch = next;
            LOG.info("balancer {} leads with epoch {}", balancerId, next);
            return next;
        });
    }

    /** Sends the batch in one transaction; fails when this channel may no longer send (fenced). */
    CompletableFuture<Void> send(List<Outgoing> batch) {
        return call(() -> {
            if (producer == null) {
                throw new IllegalStateException("the leader channel of " + balancerId + " is not open");
            }
            for (Outgoing o : batch) {
                if (o.commandHost() != null) {
                    ensureCommandTopic.accept(o.commandHost());
                }
            }
            producer.beginTransaction();
            for (Outgoing o : batch) {
                producer.send(new ProducerRecord<>(o.topic(), o.key(), codec.encode(o.envelope())));
            }
            producer.commitTransaction();
            return null;
        });
    }

    /**
     * Calls queued or running on the channel's thread. The leader stops deciding while this is high
     * (a slow or gone broker), so the queue stays bounded instead of growing a batch per tick.
     */
    int pending() {
        return pending.get();
    }

    /** Whether a transaction failed: this channel sends nothing more. */
    boolean broken() {
        return broken;
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private <T> CompletableFuture<T> call(Call<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> pending.decrementAndGet());
        pending.incrementAndGet();
        try {
            thread.execute(() -> {
                if (broken) {
                    result.completeExceptionally(new IllegalStateException("the leader channel of " + balancerId
                            + " failed before and sends nothing more"));
                    return;
                }
                try {
                    result.complete(body.run());
                } catch (Exception | Error e) {
                    broken = true;
                    closeProducer();
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the leader channel of " + balancerId + " is closed"));
        }
        return result;
    }

    /** The last committed epoch, 0 if no balancer ever led on these topics. */
    private long lastEpoch() {
        Map<String, Object> props = new HashMap<>(kafka.consumer("balancer-" + balancerId + "-epoch", "unused"));
        props.remove("group.id");
        TopicPartition tp = new TopicPartition(kafka.topics().leader(), 0);
        long last = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (codec.decode(r.value()) instanceof Decoded.Ok ok && ok.envelope().body() instanceof LeaderEpoch e) {
                        last = Math.max(last, e.epoch());
                    }
                }
            }
        }
        return last;
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (KafkaException e) {
                LOG.debug("closing a failed leader producer: {}", e.toString());
            }
            producer = null;
        }
    }

    /** Closes the producer (an open transaction is aborted by the broker or the next leader). */
    @Override
    public void close() {
        try {
            thread.execute(() -> {
                broken = true;
                closeProducer();
            });
        } catch (RejectedExecutionException e) {
            return;
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
