package org.virtbalancer.deploy.cli;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.virtbalancer.balancer.kafka.ControlWriter;
import org.virtbalancer.balancer.kafka.KafkaDiagnosis;
import org.virtbalancer.protocol.Codec;
import org.virtbalancer.protocol.ControlKey;
import org.virtbalancer.protocol.Decoded;
import org.virtbalancer.protocol.Envelope;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Message;
import org.virtbalancer.protocol.SigningKeys;
import org.virtbalancer.protocol.Topics;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The CLI's own Kafka clients: a reader outside any consumer group and a writer of control
 * messages, with timeouts short enough that a command against an unreachable broker ends within
 * seconds, saying so. Settings from {@code --kafka-config} still win.
 */
final class KafkaLink implements AutoCloseable {
    /** How long Kafka may take to answer a command before it counts as unreachable. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
    private static final String CLIENT_ID = "vbal-cli";
    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(5);

    private final KafkaSettings settings;
    private final Codec codec = new Codec();
    private final Duration answerWithin;
    private final KafkaConsumer<String, byte[]> reader;
    private final Set<TopicPartition> assigned = new LinkedHashSet<>();
    private ControlWriter writer;
    /** Signs the control messages this link sends; empty: they go unsigned. */
    private final Optional<SigningKeys.Signer> signer;

    private KafkaLink(KafkaSettings settings, Optional<SigningKeys.Signer> signer) {
        this.settings = settings;
        this.signer = signer;
        Map<String, Object> config = new HashMap<>(settings.consumer(CLIENT_ID, "unused"));
        config.remove("group.id");
        // Reading must never create a topic: a wrong --prefix should say so, not make empty topics.
        config.put("allow.auto.create.topics", "false");
        defaultUnlessGiven(config, "default.api.timeout.ms", ANSWER_WITHIN.toMillis());
        defaultUnlessGiven(config, "request.timeout.ms", ANSWER_WITHIN.toMillis());
        this.answerWithin = Duration.ofMillis(Long.parseLong(String.valueOf(config.get("default.api.timeout.ms"))));
        this.reader = new KafkaConsumer<>(config);
    }

    /** Kafka as {@code options} name it; what it sends goes unsigned. */
    static KafkaLink open(ConnectionOptions options) {
        return open(options, Optional.empty());
    }

    /** Kafka as {@code options} name it; the control messages it sends are signed as {@code signing} says. */
    static KafkaLink open(ConnectionOptions options, SigningOptions signing) {
        return open(options, signing.signer());
    }

    private static KafkaLink open(ConnectionOptions options, Optional<SigningKeys.Signer> signer) {
        try {
            return new KafkaLink(options.settings(), signer);
        } catch (UncheckedIOException e) {
            throw CommandFailure.usage(e.getMessage() + "; pass --kafka-config a readable properties file");
        } catch (KafkaException e) {
            throw CommandFailure.usage("the Kafka client settings are not valid (" + rootMessage(e) + "); check"
                    + " --bootstrap and --kafka-config");
        }
    }

    Topics topics() {
        return settings.topics();
    }

    /** Reads {@code topics} from their first record with a timestamp at or after {@code sinceMillis} (0: all). */
    void readFrom(long sinceMillis, String... topics) {
        List<TopicPartition> added = assign(topics);
        call(() -> {
            if (sinceMillis <= 0) {
                reader.seekToBeginning(added);
                return null;
            }
            Map<TopicPartition, Long> times = new HashMap<>();
            added.forEach(tp -> times.put(tp, sinceMillis));
            Map<TopicPartition, OffsetAndTimestamp> offsets = reader.offsetsForTimes(times, answerWithin);
            for (TopicPartition tp : added) {
                OffsetAndTimestamp at = offsets.get(tp);
                if (at == null) {
                    reader.seekToEnd(List.of(tp));
                } else {
                    reader.seek(tp, at.offset());
                }
            }
            return null;
        });
    }

    /** Reads only what is written to {@code topics} from now on: call it before sending what they answer. */
    void readNew(String... topics) {
        List<TopicPartition> added = assign(topics);
        call(() -> {
            reader.seekToEnd(added);
            // seekToEnd is lazy; asking the position fixes it now, before anything is sent.
            added.forEach(tp -> reader.position(tp, answerWithin));
            return null;
        });
    }

    /** Every readable message up to where the topics end now; unreadable ones are skipped. */
    void readToEnd(Consumer<Envelope> each) {
        call(() -> {
            Map<TopicPartition, Long> end = reader.endOffsets(assigned, answerWithin);
            while (assigned.stream().anyMatch(tp -> reader.position(tp, answerWithin) < end.get(tp))) {
                poll(Duration.ofMillis(200)).forEach(each);
            }
            return null;
        });
    }

    /** What arrived within {@code wait}, readable messages only. */
    List<Envelope> poll(Duration wait) {
        return call(() -> {
            List<Envelope> messages = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : reader.poll(wait)) {
                if (codec.decode(r.value()) instanceof Decoded.Ok ok) {
                    messages.add(ok.envelope());
                }
            }
            return messages;
        });
    }

    /**
     * Writes an operator's control message under the key every writer uses, in a Kafka transaction
     * of this run's own; returns it once Kafka committed it. A write that fails can never take effect
     * later (exit 1, or 5 when nothing answers); one Kafka took but did not confirm in time exits
     * {@link ExitCode#UNCONFIRMED}, saying how to check.
     */
    Envelope send(Message control) {
        String topic = topics().control();
        partitions(topic);
        Envelope unsigned = Envelope.of("operator:" + System.getProperty("user.name", "cli"), control,
                System.currentTimeMillis());
        Envelope env = signer.map(s -> s.sign(unsigned)).orElse(unsigned);
        ControlWriter.Outcome outcome = writer().write(topic, ControlKey.of(control), codec.encode(env),
                ControlWriter.howToCheck(control));
        if (outcome instanceof ControlWriter.Confirmed) {
            return env;
        }
        if (outcome instanceof ControlWriter.Unconfirmed u) {
            throw new CommandFailure(ExitCode.UNCONFIRMED, u.sentence());
        }
        ControlWriter.Failed f = (ControlWriter.Failed) outcome;
        if (f.cause() instanceof AuthenticationException a) {
            throw CommandFailure.failed(refusedCredentials(settings.bootstrapServers(), a));
        }
        if (f.cause() instanceof AuthorizationException) {
            throw CommandFailure.failed("Kafka at " + settings.bootstrapServers() + " does not allow this client that ("
                    + rootMessage(f.cause()) + "): give its principal the operators' ACLs"
                    + " (deploy/bin/kafka-acls-virt-balancer); nothing was written");
        }
        throw f.kafkaAnswers() ? CommandFailure.failed(f.sentence()) : unreachable("; nothing was written");
    }

    private ControlWriter writer() {
        if (writer == null) {
            writer = new ControlWriter(settings, CLIENT_ID, topics().operatorTransactionalIdPrefix()
                    + UUID.randomUUID(), answerWithin, answerWithin.multipliedBy(3));
        }
        return writer;
    }

    private List<TopicPartition> assign(String... topics) {
        List<TopicPartition> added = new ArrayList<>();
        for (String topic : topics) {
            added.addAll(partitions(topic));
        }
        assigned.addAll(added);
        // Partitions assigned before keep their positions.
        call(() -> {
            reader.assign(assigned);
            return null;
        });
        return added;
    }

    private List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos = call(() -> reader.partitionsFor(topic, answerWithin));
        if (infos == null || infos.isEmpty()) {
            throw CommandFailure.unreachable("Kafka at " + settings.bootstrapServers() + " has no topic " + topic
                    + ": no balancer has run there with topic prefix " + topics().prefix() + "; check --prefix (or"
                    + " VB_TOPIC_PREFIX), or start a balancer");
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    /** Runs one Kafka call, turning its failures into sentences. */
    private <T> T call(Supplier<T> kafkaCall) {
        try {
            return kafkaCall.get();
        } catch (TimeoutException e) {
            // Kafka may answer yet not serve a partition (its leader down, no controller): say so, not "start the demo".
            List<String> involved = new ArrayList<>(new LinkedHashSet<>(assigned.stream().map(TopicPartition::topic).toList()));
            KafkaDiagnosis.Finding finding = KafkaDiagnosis.of(settings, involved.isEmpty() ? List.of(topics().control())
                    : involved, e);
            throw finding.answers() ? CommandFailure.failed(finding.sentence()) : unreachable("");
        } catch (AuthenticationException e) {
            throw CommandFailure.failed(refusedCredentials(settings.bootstrapServers(), e));
        } catch (AuthorizationException e) {
            throw CommandFailure.failed("Kafka at " + settings.bootstrapServers() + " does not allow this client that ("
                    + rootMessage(e) + "): give its principal the operators' ACLs (deploy/bin/kafka-acls-virt-balancer)");
        } catch (KafkaException e) {
            throw CommandFailure.failed("Kafka at " + settings.bootstrapServers() + " failed (" + rootMessage(e)
                    + "); try again, and check the broker's log if it persists");
        }
    }

    /** Nothing answered in time: where to find a broker, then {@code after}. */
    private CommandFailure unreachable(String after) {
        return CommandFailure.unreachable("cannot reach Kafka at " + settings.bootstrapServers() + " within "
                + answerWithin.toSeconds() + " s: start the demo (deploy/bin/vbal demo), or pass --bootstrap"
                + " HOST:PORT (or set VB_BOOTSTRAP) naming a running broker"
                + (settings.extra().containsKey("security.protocol") ? "" : "; if its listener takes TLS or SASL,"
                + " pass --kafka-config FILE with security.protocol and the client's settings") + after);
    }

    /** One sentence for credentials Kafka did not accept: a TLS handshake or a SASL login that failed. */
    static String refusedCredentials(String bootstrap, AuthenticationException e) {
        String why = e instanceof SslAuthenticationException ? "TLS handshake failed: " + rootMessage(e) : rootMessage(e);
        return "Kafka at " + bootstrap + " refused this client's credentials (" + why + "): check the"
                + " certificate and truststore (ssl.keystore.*, ssl.truststore.*) or the user and password"
                + " (sasl.jaas.config) in --kafka-config";
    }

    /** The CLI's own value for {@code key}, unless --kafka-config sets one. */
    private void defaultUnlessGiven(Map<String, Object> config, String key, long value) {
        if (!settings.extra().containsKey(key)) {
            config.put(key, String.valueOf(value));
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    @Override
    public void close() {
        try {
            reader.close(CloseOptions.timeout(CLOSE_WITHIN));
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
    }
}
