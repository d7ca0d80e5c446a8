package org.virtbalancer.balancer.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.virtbalancer.protocol.ApprovePlan;
import org.virtbalancer.protocol.EnterMaintenance;
import org.virtbalancer.protocol.ExitMaintenance;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.RequestMigration;
import org.virtbalancer.protocol.SetAutomation;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes operators' control messages so that a write reported as not done never takes effect
 * later: each goes out alone in a Kafka transaction of a producer with its own
 * {@code transactional.id}, and counts as done only once {@code commitTransaction} returned. Every
 * reader of the control topic reads {@code read_committed}, so a transaction that was aborted, or
 * that nobody committed (the coordinator aborts it at {@code transaction.timeout.ms}, here the
 * writer's own wait), is never seen, even if its record reached a partition leader's log.
 *
 * <p>What Kafka 4.4's producer guarantees, and this class relies on: {@code commitTransaction}
 * first flushes the transaction's records and sends the commit (EndTxn) only once every one of them
 * was acknowledged; a record that failed puts the transaction in an abortable error, and the commit
 * then fails, so it is aborted. A {@code TimeoutException} from {@code commitTransaction} does not
 * say whether the commit reached the coordinator: it is retried until the wait is over, then the
 * producer is closed at once (nothing else may be tried). If the record had not been acknowledged
 * by then, no commit was ever sent: the write failed. If it had, the commit may be on its way: the
 * outcome is unknown ({@link Unconfirmed}), never reported as failed.
 *
 * <p>Blocking, one write at a time: call it from a worker thread. Used by vbal (one writer, and so
 * one transactional id, per run) and by each balancer's API (one writer per balancer).
 */
public final class ControlWriter implements AutoCloseable {
    /** What became of a write. */
    public sealed interface Outcome permits Confirmed, Failed, Unconfirmed {}

    /** Kafka committed it: readers see it. */
    public record Confirmed(int partition, long offset) implements Outcome {}

    /**
     * It can never take effect: no commit was sent, and the transaction is aborted.
     *
     * @param kafkaAnswers whether any broker answered at all (false: nothing answers at the bootstrap address)
     * @param sentence     why, ending in "nothing was written"
     * @param cause        what the producer threw
     */
    public record Failed(boolean kafkaAnswers, String sentence, Throwable cause) implements Outcome {}

    /** Kafka may have committed it: it may still take effect; the sentence says how to check. */
    public record Unconfirmed(String sentence, Throwable cause) implements Outcome {}

    /** A write that was not confirmed, as an exception for asynchronous callers; its message is the outcome's sentence. */
    public static final class NotConfirmed extends RuntimeException {
        private final boolean mayStillTakeEffect;

        public NotConfirmed(Outcome outcome) {
            super(sentence(outcome), null, false, false);
            this.mayStillTakeEffect = outcome instanceof Unconfirmed;
        }

        private static String sentence(Outcome outcome) {
            if (outcome instanceof Failed f) {
                return f.sentence();
            }
            if (outcome instanceof Unconfirmed u) {
                return u.sentence();
            }
            throw new IllegalArgumentException("a confirmed write is no failure");
        }

        /** False: it failed and never takes effect; true: Kafka took it without confirming it. */
        public boolean mayStillTakeEffect() {
            return mayStillTakeEffect;
        }
    }

    private final KafkaSettings settings;
    private final String clientId;
    private final String transactionalId;
    private final Duration answerWithin;
    private final Duration wait;
    private KafkaProducer<String, byte[]> producer;

    /**
     * @param transactionalId unique to this writer: two writers under one id fence each other
     * @param answerWithin    most any one Kafka call may block ({@code max.block.ms}, {@code request.timeout.ms})
     * @param wait            most a write may take before it is reported failed or unconfirmed; also the
     *                        transaction's timeout, after which the coordinator aborts what nobody committed
     */
    public ControlWriter(KafkaSettings settings, String clientId, String transactionalId, Duration answerWithin,
                         Duration wait) {
        this.settings = settings;
        this.clientId = clientId;
        this.transactionalId = transactionalId;
        this.answerWithin = answerWithin.compareTo(wait) < 0 ? answerWithin : wait;
        this.wait = wait;
    }

    /** The vbal command that shows whether {@code control} took effect, for the sentence of an unconfirmed write. */
    public static String howToCheck(Message control) {
        if (control instanceof EnterMaintenance m) {
            return "vbal maintenance status " + m.host();
        }
        if (control instanceof ExitMaintenance m) {
            return "vbal maintenance status " + m.host();
        }
        if (control instanceof SetAutomation) {
            return "vbal automation get";
        }
        if (control instanceof ApprovePlan a) {
            return "vbal migrations (whether plan " + a.planId() + " ran)";
        }
        if (control instanceof RequestMigration r) {
            return "vbal migrations (request " + r.requestId() + ")";
        }
        return "vbal status";
    }

    public String transactionalId() {
        return transactionalId;
    }

    /**
     * Writes one record in a transaction of its own and says what became of it.
     *
     * @param checkWith how an operator sees whether it took effect, e.g. "vbal maintenance status host-3"
     */
    public synchronized Outcome write(String topic, String key, byte[] value, String checkWith) {
        long deadline = System.nanoTime() + wait.toNanos();
        KafkaProducer<String, byte[]> p;
        try {
            p = ready(deadline);
        } catch (KafkaException | IllegalStateException e) {
            discard();
            return failed(topic, e);
        }
        Future<RecordMetadata> sent;
        try {
            p.beginTransaction();
            sent = p.send(new ProducerRecord<>(topic, key, value));
        } catch (KafkaException | IllegalStateException e) {
            abortOrDiscard(deadline);
            return failed(topic, e);
        }
        RuntimeException last;
        while (true) {
            try {
                p.commitTransaction();
                RecordMetadata m = acknowledged(sent);
                return new Confirmed(m == null ? -1 : m.partition(), m == null ? -1 : m.offset());
            } catch (TimeoutException | InterruptException e) {
                // The commit may be under way: only retrying it, or closing, is allowed now.
                last = e;
                if (failedToSend(sent) || e instanceof InterruptException || System.nanoTime() - deadline >= 0) {
                    break;
                }
            } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
                     | AuthenticationException | UnsupportedVersionException e) {
                // Fatal for this producer; the coordinator aborts the transaction (a newer producer fenced it, or
                // it never got this far).
                discard();
                return failed(topic, e);
            } catch (KafkaException e) {
                // A record failed: the transaction is in an abortable error and was never committed.
                abortOrDiscard(deadline);
                return failed(topic, e);
            }
        }
        // Unconfirmed at the end of the wait: close now, so no commit leaves later, then see whether one may have left.
        discard();
        if (acknowledged(sent) == null) {
            return failed(topic, last);
        }
        return new Unconfirmed("Kafka took the write but did not confirm it within " + wait.toSeconds()
                + " s; it may still take effect when Kafka recovers — " + diagnose(topic, last).sentence()
                + "; check with " + checkWith, last);
    }

    /** The producer, its transactions initialised; retried (which Kafka allows after a timeout) until the deadline. */
    private KafkaProducer<String, byte[]> ready(long deadline) {
        if (producer != null) {
            return producer;
        }
        Map<String, Object> config = new HashMap<>(settings.producer(clientId));
        defaultUnlessGiven(config, "max.block.ms", answerWithin.toMillis());
        defaultUnlessGiven(config, "request.timeout.ms", answerWithin.toMillis());
        defaultUnlessGiven(config, "delivery.timeout.ms", Math.max(wait.toMillis(), answerWithin.toMillis() + 1000));
        config.put("transactional.id", transactionalId);
        config.put("transaction.timeout.ms", String.valueOf(wait.toMillis()));
        producer = new KafkaProducer<>(config);
        while (true) {
            try {
                producer.initTransactions();
                return producer;
            } catch (TimeoutException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
        }
    }

    private Failed failed(String topic, Throwable e) {
        if (e instanceof AuthenticationException || e instanceof AuthorizationException) {
            return new Failed(true, "Kafka at " + settings.bootstrapServers() + " refused the write ("
                    + KafkaDiagnosis.rootMessage(e) + "); nothing was written", e);
        }
        KafkaDiagnosis.Finding finding = diagnose(topic, e);
        return new Failed(finding.answers(), (finding.answers() ? "" : "Kafka did not take the write: ")
                + finding.sentence() + "; nothing was written", e);
    }

    private KafkaDiagnosis.Finding diagnose(String topic, Throwable e) {
        return KafkaDiagnosis.of(settings, topic, e);
    }

    /** The record's place once Kafka acknowledged it; null when it was not (yet), or failed. */
    private static RecordMetadata acknowledged(Future<RecordMetadata> sent) {
        if (!sent.isDone()) {
            return null;
        }
        try {
            return sent.get(0, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }

    private static boolean failedToSend(Future<RecordMetadata> sent) {
        return sent.isDone() && acknowledged(sent) == null;
    }

    /** Aborts the transaction if there is time left (best effort), else drops the producer. */
    private void abortOrDiscard(long deadline) {
        if (producer == null) {
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            try {
                producer.abortTransaction();
                return;
            } catch (KafkaException | IllegalStateException e) {
                // Left to the coordinator, which aborts it at transaction.timeout.ms.
            }
        }
        discard();
    }

    /** Closes the producer at once: nothing it has not sent yet is sent. */
    private void discard() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (KafkaException e) {
                // Closing a failed producer: nothing more to do.
            }
            producer = null;
        }
    }

    private void defaultUnlessGiven(Map<String, Object> config, String key, long value) {
        if (!settings.extra().containsKey(key)) {
            config.put(key, String.valueOf(value));
        }
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                // Closing: nothing more to do.
            }
            producer = null;
        }
    }
}
