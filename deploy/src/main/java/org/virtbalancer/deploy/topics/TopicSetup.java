package org.virtbalancer.deploy.topics;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates virt-balancer's topics as their {@link Topics.Spec}s say, brings the cleanup policy,
 * retention and {@code min.insync.replicas} of existing ones to the same, and reports how each topic
 * is set up. Blocking.
 */
public final class TopicSetup implements AutoCloseable {
    /** Topics per request (measured here: 2,000 topics in batches of 500 are acknowledged in about 2 s). */
    static final int BATCH = 500;
    private static final List<String> SHOWN_CONFIGS = List.of(Topics.CLEANUP_POLICY, Topics.RETENTION_MS,
            Topics.MIN_INSYNC_REPLICAS);

    private final Admin admin;
    private final String bootstrap;
    private final Duration timeout;

    /** No broker answered within the timeout. */
    public static final class UnreachableException extends RuntimeException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A topic as the cluster has it.
     *
     * @param configs {@code cleanup.policy}, {@code retention.ms} and {@code min.insync.replicas}, as the
     *                broker reports them (its own defaults included)
     */
    public record TopicState(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        public TopicState {
            configs = Map.copyOf(configs);
        }

        public boolean compacted() {
            return configs.getOrDefault(Topics.CLEANUP_POLICY, "").contains("compact");
        }

        /** Its {@code min.insync.replicas}, or -1 if the broker did not say. */
        public int minInsyncReplicas() {
            String value = configs.get(Topics.MIN_INSYNC_REPLICAS);
            return value == null ? -1 : Integer.parseInt(value);
        }
    }

    /** What {@link #ensure} did to a topic. */
    public enum Action { CREATED, EXISTS, UPDATED }

    /**
     * One topic after {@link #ensure}.
     *
     * @param changes configs set, each {@code key old → new}
     * @param notes   differences left as they are, each a sentence saying why and what to do
     */
    public record Outcome(Action action, TopicState state, List<String> changes, List<String> notes) {}

    public TopicSetup(KafkaSettings kafka, Duration timeout) {
        Map<String, Object> config = new HashMap<>(kafka.admin("vbal-topics"));
        config.put("default.api.timeout.ms", String.valueOf(timeout.toMillis()));
        config.put("request.timeout.ms", String.valueOf(timeout.toMillis()));
        this.admin = Admin.create(config);
        this.bootstrap = kafka.bootstrapServers();
        this.timeout = timeout;
    }

    /**
     * Creates each missing topic and sets the cleanup policy, retention and {@code min.insync.replicas}
     * of each existing one to its spec's. Partition count and replication of existing topics are only
     * reported, and so is a {@code min.insync.replicas} above an existing topic's replication (it would
     * refuse every acks=all write).
     *
     * @return one outcome per spec, in the specs' order
     */
    public List<Outcome> ensure(List<Topics.Spec> specs) throws InterruptedException {
        Set<String> existing = get(admin.listTopics().names());
        Set<String> created = new HashSet<>();
        List<Topics.Spec> missing = specs.stream().filter(s -> !existing.contains(s.name())).toList();
        for (List<Topics.Spec> batch : batches(missing)) {
            created.addAll(create(batch));
        }
        Map<String, TopicState> states = describe(specs.stream().map(Topics.Spec::name).toList());
        Map<ConfigResource, Collection<AlterConfigOp>> alterations = new LinkedHashMap<>();
        List<Outcome> outcomes = new ArrayList<>();
        for (Topics.Spec spec : specs) {
            TopicState state = states.get(spec.name());
            List<String> changes = new ArrayList<>();
            List<AlterConfigOp> ops = new ArrayList<>();
            Map<String, String> wantedConfigs = new LinkedHashMap<>(spec.configs());
            if (spec.minInsyncReplicas() > state.replicationFactor()) {
                wantedConfigs.remove(Topics.MIN_INSYNC_REPLICAS);
            }
            wantedConfigs.forEach((key, wanted) -> {
                String actual = state.configs().get(key);
                if (!wanted.equals(actual)) {
                    changes.add(key + " " + actual + " → " + wanted);
                    ops.add(new AlterConfigOp(new ConfigEntry(key, wanted), AlterConfigOp.OpType.SET));
                }
            });
            if (!ops.isEmpty()) {
                alterations.put(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()), ops);
            }
            Action action = created.contains(spec.name()) ? Action.CREATED : ops.isEmpty() ? Action.EXISTS : Action.UPDATED;
            Map<String, String> after = new HashMap<>(state.configs());
            after.putAll(wantedConfigs);
            outcomes.add(new Outcome(action, new TopicState(state.name(), state.partitions(), state.replicationFactor(), after),
                    changes, action == Action.CREATED ? List.of() : notes(spec, state)));
        }
        List<ConfigResource> resources = List.copyOf(alterations.keySet());
        for (List<ConfigResource> batch : batches(resources)) {
            Map<ConfigResource, Collection<AlterConfigOp>> ops = new LinkedHashMap<>();
            batch.forEach(r -> ops.put(r, alterations.get(r)));
            get(admin.incrementalAlterConfigs(ops).all());
        }
        return outcomes;
    }

    /** Every topic whose name starts with {@code prefix}, by name. */
    public List<TopicState> list(String prefix) throws InterruptedException {
        List<String> names = get(admin.listTopics().names()).stream().filter(n -> n.startsWith(prefix)).sorted().toList();
        return List.copyOf(describe(names).values());
    }

    private static List<String> notes(Topics.Spec spec, TopicState state) {
        List<String> notes = new ArrayList<>();
        if (state.partitions() != spec.partitions()) {
            notes.add("has " + state.partitions() + " partitions, " + spec.partitions() + " wanted: left as is, because"
                    + " adding partitions moves keys to other partitions (do it by hand with kafka-topics.sh --alter"
                    + " only on a topic that is not compacted)");
        }
        if (spec.replicationFactor() > 0 && state.replicationFactor() != spec.replicationFactor()) {
            notes.add("has replication " + state.replicationFactor() + ", " + spec.replicationFactor() + " wanted: left as"
                    + " is (change it with kafka-reassign-partitions.sh)");
        }
        if (spec.minInsyncReplicas() > state.replicationFactor()) {
            notes.add("min.insync.replicas " + spec.minInsyncReplicas() + " wanted, but it has replication "
                    + state.replicationFactor() + ": left at " + state.configs().get(Topics.MIN_INSYNC_REPLICAS)
                    + ", since more replicas in sync than it has would refuse every acks=all write (raise its"
                    + " replication with kafka-reassign-partitions.sh, then run this again)");
        }
        return notes;
    }

    /** Creates the batch; returns the names it created (one created meanwhile by someone else is not among them). */
    private Set<String> create(List<Topics.Spec> batch) throws InterruptedException {
        List<NewTopic> topics = batch.stream().map(s -> new NewTopic(s.name(), Optional.of(s.partitions()),
                s.replicationFactor() < 0 ? Optional.<Short>empty() : Optional.of((short) s.replicationFactor()))
                .configs(s.configs())).toList();
        Set<String> created = new HashSet<>();
        for (var entry : admin.createTopics(topics).values().entrySet()) {
            try {
                get(entry.getValue());
                created.add(entry.getKey());
            } catch (TopicExistsException e) {
                // Another process (an agent, a balancer) created it first: it is checked like any existing one.
            }
        }
        return created;
    }

    /** Partitions, replication and shown configs of each topic; waits while a new topic is not yet known. */
    private Map<String, TopicState> describe(List<String> names) throws InterruptedException {
        Map<String, TopicState> states = new TreeMap<>();
        for (List<String> batch : batches(names)) {
            long giveUp = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    states.putAll(describeBatch(batch));
                    break;
                } catch (RetriableException e) {
                    if (System.nanoTime() > giveUp) {
                        throw e;
                    }
                    Thread.sleep(200); // a topic created a moment ago: its metadata is on its way
                }
            }
        }
        Map<String, TopicState> ordered = new LinkedHashMap<>();
        names.forEach(n -> ordered.put(n, states.get(n)));
        return ordered;
    }

    private Map<String, TopicState> describeBatch(List<String> names) throws InterruptedException {
        Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames());
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());
        Map<String, TopicState> states = new HashMap<>();
        for (TopicDescription d : descriptions.values()) {
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, d.name()));
            Map<String, String> shown = new HashMap<>();
            for (String key : SHOWN_CONFIGS) {
                ConfigEntry entry = config.get(key);
                if (entry != null && entry.value() != null) {
                    shown.put(key, entry.value());
                }
            }
            int replication = d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size();
            states.put(d.name(), new TopicState(d.name(), d.partitions().size(), replication, shown));
        }
        return states;
    }

    /** The future's value; a Kafka error is thrown as itself, no answer in time as {@link UnreachableException}. */
    private <T> T get(KafkaFuture<T> future) throws InterruptedException {
        try {
            return future.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(e.getCause());
            }
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }

    private UnreachableException unreachable(Throwable cause) {
        return new UnreachableException("no Kafka broker at " + bootstrap + " answered within "
                + timeout.toSeconds() + " s", cause);
    }

    private static <T> List<List<T>> batches(List<T> all) {
        List<List<T>> batches = new ArrayList<>();
        for (int from = 0; from < all.size(); from += BATCH) {
            batches.add(all.subList(from, Math.min(all.size(), from + BATCH)));
        }
        return batches;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
