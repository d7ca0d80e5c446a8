package org.virtbalancer.balancer.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeMetadataQuorumOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.virtbalancer.protocol.KafkaSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Why Kafka does not take a write to a topic, in one sentence, from what Kafka's Admin client can
 * still learn: which registered brokers answer (each asked on its own), whether a controller quorum
 * answers, the leader and in-sync replicas of each of the topic's partitions and the topic's
 * {@code min.insync.replicas}. Used by every writer of control messages (vbal and the balancer's
 * API), so both say the same thing. Blocking: call it from a worker thread.
 *
 * <p>Without a controller quorum a surviving broker's metadata stays as it was (its ISR cannot
 * shrink, dead brokers stay registered), so replicas count as in sync only when their broker answers.
 */
public final class KafkaDiagnosis {
    /** How long the cluster, topic and configuration questions may take together. */
    static final Duration ASK_WITHIN = Duration.ofSeconds(5);
    /** How long one broker may take to answer on its own before it counts as down. */
    static final Duration BROKER_WITHIN = Duration.ofSeconds(5);
    private static final String NO_CONTROLLER = "no active controller";

    /**
     * What was found.
     *
     * @param answers  whether any broker answered at the bootstrap address
     * @param sentence the finding, e.g. "Kafka answers at 127.0.0.1:9092 (only broker 1 of the 3
     *                 registered answers; no active controller) but partition vb.control-0 has 1
     *                 in-sync replica of the 2 it needs (min.insync.replicas=2): start the brokers
     *                 that are down (2, 3)"; when nothing answers, "nothing answers at … within N s"
     */
    public record Finding(boolean answers, String sentence) {}

    private KafkaDiagnosis() {}

    /** Asks Kafka at {@code settings} why it may not take a write to {@code topic}, naming {@code failure} when nothing else explains it. */
    public static Finding of(KafkaSettings settings, String topic, Throwable failure) {
        return of(settings, List.of(topic), failure);
    }

    /**
     * Asks Kafka at {@code settings} why it may not serve {@code topics} (the first partition of them that
     * cannot, in their order), naming {@code failure} when nothing else explains it.
     */
    public static Finding of(KafkaSettings settings, List<String> topics, Throwable failure) {
        String bootstrap = settings.bootstrapServers();
        Map<String, Object> config = adminConfig(settings, bootstrap, ASK_WITHIN);
        // The quorum question waits on a controller that may be gone, and a broker answers the requests of one
        // connection in order: asked over a connection of its own, it holds up no other question.
        try (Admin admin = Admin.create(config); Admin quorumAdmin = Admin.create(config)) {
            KafkaFuture<java.util.Collection<Node>> nodesAsked = admin.describeCluster(
                    new DescribeClusterOptions().timeoutMs(millis(ASK_WITHIN))).nodes();
            KafkaFuture<QuorumInfo> quorumAsked = quorumAdmin.describeMetadataQuorum(
                    new DescribeMetadataQuorumOptions().timeoutMs(millis(BROKER_WITHIN))).quorumInfo();
            KafkaFuture<Map<String, TopicDescription>> topicAsked = admin.describeTopics(topics,
                    new DescribeTopicsOptions().timeoutMs(millis(ASK_WITHIN))).allTopicNames();
            List<ConfigResource> resources = topics.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            KafkaFuture<Map<ConfigResource, Config>> configAsked = admin.describeConfigs(resources,
                    new DescribeConfigsOptions().timeoutMs(millis(ASK_WITHIN))).all();

            List<Node> nodes;
            try {
                nodes = new ArrayList<>(nodesAsked.get(ASK_WITHIN.toMillis() + 1000, TimeUnit.MILLISECONDS));
            } catch (Exception e) {
                interruptedAgain(e);
                return new Finding(false, "nothing answers at " + bootstrap + " within " + ASK_WITHIN.toSeconds() + " s");
            }
            nodes.sort(Comparator.comparingInt(Node::id));
            Set<Integer> answering = answering(admin, nodes);
            Set<Integer> down = nodes.stream().map(Node::id).filter(id -> !answering.contains(id))
                    .collect(Collectors.toCollection(TreeSet::new));

            List<String> about = new ArrayList<>();
            if (answering.isEmpty()) {
                about.add("none of the " + nodes.size() + " registered brokers answered on its own within "
                        + BROKER_WITHIN.toSeconds() + " s");
            } else if (down.isEmpty()) {
                about.add(nodes.size() == 1 ? "its only broker answers" : "all " + nodes.size() + " registered brokers answer");
            } else {
                about.add((answering.size() == 1 ? "only broker " : "only brokers ") + ids(answering) + " of the "
                        + nodes.size() + " registered " + (answering.size() == 1 ? "answers" : "answer"));
            }
            Optional<String> controller = controller(quorumAsked);
            controller.ifPresent(about::add);
            boolean noController = controller.filter(NO_CONTROLLER::equals).isPresent();

            Map<String, Integer> minIsr = minInsyncReplicas(configAsked);
            String partition = partitionProblem(topicAsked, topics, answering, minIsr, noController)
                    .orElse("did not take the write (" + rootMessage(failure) + ")");
            String action = !down.isEmpty() && !answering.isEmpty() ? "start the brokers that are down (" + ids(down) + ")"
                    : "check the brokers and their logs";
            return new Finding(true, "Kafka answers at " + bootstrap + " (" + String.join("; ", about) + ") but "
                    + partition + ": " + action);
        }
    }

    /** The registered brokers that answer when asked on their own (a refusal is an answer too). */
    private static Set<Integer> answering(Admin admin, List<Node> nodes) {
        Map<Integer, KafkaFuture<?>> asked = new HashMap<>();
        for (Node node : nodes) {
            // A broker's own configuration is asked of that broker and no other.
            asked.put(node.id(), admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER,
                    String.valueOf(node.id()))), new DescribeConfigsOptions().timeoutMs(millis(BROKER_WITHIN))).all());
        }
        Set<Integer> answering = new TreeSet<>();
        for (var e : asked.entrySet()) {
            try {
                e.getValue().get(BROKER_WITHIN.toMillis() + 1000, TimeUnit.MILLISECONDS);
                answering.add(e.getKey());
            } catch (ExecutionException x) {
                if (x.getCause() instanceof AuthorizationException) {
                    answering.add(e.getKey());
                }
            } catch (Exception x) {
                interruptedAgain(x);
            }
        }
        return answering;
    }

    /** "no active controller", "controller 1 active", or nothing when this client may not ask. */
    private static Optional<String> controller(KafkaFuture<QuorumInfo> asked) {
        try {
            return Optional.of("controller " + asked.get(BROKER_WITHIN.toMillis() + 1000, TimeUnit.MILLISECONDS).leaderId()
                    + " active");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException || e.getCause() instanceof UnsupportedVersionException) {
                return Optional.empty();
            }
            return Optional.of(NO_CONTROLLER);
        } catch (Exception e) {
            interruptedAgain(e);
            return Optional.of(NO_CONTROLLER);
        }
    }

    /** Each topic's {@code min.insync.replicas}, of those Kafka told. */
    private static Map<String, Integer> minInsyncReplicas(KafkaFuture<Map<ConfigResource, Config>> asked) {
        Map<String, Integer> found = new HashMap<>();
        try {
            asked.get(ASK_WITHIN.toMillis() + 1000, TimeUnit.MILLISECONDS).forEach((resource, config) -> {
                ConfigEntry entry = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                if (entry != null && entry.value() != null) {
                    found.put(resource.name(), Integer.parseInt(entry.value()));
                }
            });
        } catch (Exception e) {
            interruptedAgain(e);
        }
        return found;
    }

    /** What keeps the first partition that cannot take a write from taking it, if the metadata shows it. */
    private static Optional<String> partitionProblem(KafkaFuture<Map<String, TopicDescription>> asked,
                                                     List<String> topics, Set<Integer> answering,
                                                     Map<String, Integer> minIsr, boolean noController) {
        Map<String, TopicDescription> descriptions;
        try {
            descriptions = asked.get(ASK_WITHIN.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            interruptedAgain(e);
            return Optional.of("its description of " + String.join(", ", topics) + " did not come (" + rootMessage(e) + ")");
        }
        for (String topic : topics) {
            Optional<String> problem = partitionProblem(descriptions.get(topic), answering,
                    Optional.ofNullable(minIsr.get(topic)), noController);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> partitionProblem(TopicDescription description, Set<Integer> answering,
                                                     Optional<Integer> minIsr, boolean noController) {
        if (description == null) {
            return Optional.empty();
        }
        String topic = description.name();
        for (TopicPartitionInfo p : description.partitions()) {
            String name = "partition " + topic + "-" + p.partition();
            Node leader = p.leader();
            if (leader == null || leader.isEmpty()) {
                return Optional.of(name + " has no leader");
            }
            if (!answering.contains(leader.id())) {
                return Optional.of(name + " has its leader on broker " + leader.id() + ", which does not answer");
            }
            long inSync = p.isr().stream().filter(n -> answering.contains(n.id())).count();
            int needed = minIsr.orElse(1);
            if (inSync < needed) {
                return Optional.of(name + " has " + inSync + " in-sync " + (inSync == 1 ? "replica" : "replicas")
                        + " of the " + needed + " it needs (" + TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG + "=" + needed + ")");
            }
            if (noController && inSync < p.isr().size()) {
                // Enough in sync as far as the metadata says, but the leader waits for every replica of its
                // in-sync set, which only a controller can shrink.
                return Optional.of(name + " waits for " + (p.isr().size() - inSync) + " in-sync "
                        + (p.isr().size() - inSync == 1 ? "replica" : "replicas") + " that do not answer, and without a"
                        + " controller its in-sync set cannot shrink");
            }
        }
        return Optional.empty();
    }

    private static Map<String, Object> adminConfig(KafkaSettings settings, String bootstrap, Duration within) {
        Map<String, Object> config = new HashMap<>(settings.admin("vb-diagnosis"));
        config.put("bootstrap.servers", bootstrap);
        config.put("request.timeout.ms", String.valueOf(within.toMillis()));
        config.put("default.api.timeout.ms", String.valueOf(within.toMillis()));
        return config;
    }

    private static String ids(Set<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static int millis(Duration d) {
        return (int) d.toMillis();
    }

    private static void interruptedAgain(Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
