package org.virtbalancer.agent;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbalancer.protocol.KafkaSettings;
import org.virtbalancer.protocol.Topics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What an agent process needs from Kafka before it consumes: the shared topics and its hosts'
 * command topics (created when missing, in batches, so a fleet of thousands of hosts costs a few
 * requests), a leader for each of them, and where the inventory topic ends. Blocking: call it
 * from a worker thread.
 */
final class AgentTopics {
    private static final Logger LOG = LoggerFactory.getLogger(AgentTopics.class);
    /** Topics per CreateTopics and DescribeTopics request (measured here: 2,000 in batches of 500 are acked in about 2 s). */
    static final int BATCH = 500;
    private static final long INVENTORY_WAIT_S = 30;
    private static final long COMMAND_TOPICS_WAIT_S = 120;

    /**
     * @param inventoryEnds     end offset of each inventory partition when the agent started
     * @param commandPartitions every partition of the hosts' command topics, each with a leader
     */
    record Prepared(Map<Integer, Long> inventoryEnds, Set<TopicPartition> commandPartitions) {}

    private AgentTopics() {}

    static Prepared prepare(KafkaSettings kafka, List<String> hosts, String clientId)
            throws InterruptedException, ExecutionException {
        Topics topics = kafka.topics();
        try (Admin admin = Admin.create(new HashMap<>(kafka.admin(clientId)))) {
            List<Topics.Spec> specs = new ArrayList<>(topics.shared());
            hosts.forEach(h -> specs.add(topics.commandsSpec(h)));
            Set<String> used = new HashSet<>(List.of(topics.inventory(), topics.hostLoad(), topics.domainEvents(),
                    topics.commandResults(), topics.deadLetter()));
            hosts.forEach(h -> used.add(topics.commands(h)));
            int created = 0;
            for (int from = 0; from < specs.size(); from += BATCH) {
                created += create(admin, specs.subList(from, Math.min(specs.size(), from + BATCH)), used);
            }
            if (created > 0) {
                LOG.info("created {} topics; {} existed already", created, specs.size() - created);
            }
            List<String> commandTopics = hosts.stream().map(topics::commands).toList();
            // A topic created a moment ago may not have a leader yet: retry what is retriable for a while.
            Map<Integer, Long> ends = retrying("inventory topic " + topics.inventory(), INVENTORY_WAIT_S,
                    () -> inventoryEnds(admin, topics));
            Set<TopicPartition> partitions = retrying(commandTopics.size() + " command topics", COMMAND_TOPICS_WAIT_S,
                    () -> ledPartitions(admin, commandTopics));
            return new Prepared(ends, partitions);
        }
    }

    /**
     * Creates what is missing; returns how many topics it created. A topic Kafka does not let the
     * agent create (an agent confined by ACLs may create none) is fine when it exists or the agent
     * does not use it; otherwise the agent cannot run, and says what to do.
     *
     * @param used the topics this agent reads or writes
     */
    private static int create(Admin admin, List<Topics.Spec> specs, Set<String> used)
            throws InterruptedException, ExecutionException {
        List<NewTopic> wanted = specs.stream().map(s -> new NewTopic(s.name(), Optional.of(s.partitions()),
                s.replicationFactor() < 0 ? Optional.<Short>empty() : Optional.of((short) s.replicationFactor()))
                .configs(s.configs())).toList();
        int created = 0;
        List<String> refused = new ArrayList<>();
        for (var entry : admin.createTopics(wanted).values().entrySet()) {
            try {
                entry.getValue().get();
                created++;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof AuthenticationException) {
                    throw new IllegalStateException("Kafka refused the agent's credentials (" + cause.getMessage()
                            + "): check the TLS and SASL settings of its kafka-config file (ssl.keystore.*,"
                            + " ssl.truststore.*, sasl.jaas.config)", cause);
                }
                if (cause instanceof TopicAuthorizationException || cause instanceof ClusterAuthorizationException) {
                    if (used.contains(entry.getKey())) {
                        refused.add(entry.getKey());
                    }
                } else if (!(cause instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + cause.getMessage()
                            + "; create it by hand or give the agent the right to create topics", cause);
                }
            }
        }
        if (!refused.isEmpty()) {
            requireExisting(admin, refused);
        }
        return created;
    }

    /** Fails, naming them, unless all of {@code names} exist and the agent may see them. */
    private static void requireExisting(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        List<String> missing = new ArrayList<>();
        for (var entry : admin.describeTopics(names).topicNameValues().entrySet()) {
            try {
                entry.getValue().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException
                        || e.getCause() instanceof TopicAuthorizationException)) {
                    throw e;
                }
                missing.add(entry.getKey());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Kafka does not let this agent create or see topic" + (missing.size() == 1 ? " " : "s ")
                    + String.join(", ", missing.stream().sorted().toList()) + ": create the topics first (vbal topics create"
                    + " --hosts HOST) and give the agent its ACLs (deploy/bin/kafka-acls-virt-balancer)");
        }
    }

    private interface Call<T> {
        T run() throws InterruptedException, ExecutionException;
    }

    private static <T> T retrying(String what, long seconds, Call<T> call) throws InterruptedException, ExecutionException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                return call.run();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > giveUp) {
                    throw e;
                }
                LOG.debug("{} not ready yet ({}), retrying", what, e.getCause().toString());
                Thread.sleep(200); // a worker thread, never an event loop
            }
        }
    }

    private static Map<Integer, Long> inventoryEnds(Admin admin, Topics topics) throws InterruptedException, ExecutionException {
        TopicDescription inventory = admin.describeTopics(List.of(topics.inventory())).allTopicNames().get()
                .get(topics.inventory());
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        inventory.partitions().forEach(p -> latest.put(new TopicPartition(topics.inventory(), p.partition()), OffsetSpec.latest()));
        Map<Integer, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    /** Every partition of {@code names}; fails (retriably) while a partition has no leader. */
    private static Set<TopicPartition> ledPartitions(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
        Set<TopicPartition> partitions = new HashSet<>();
        for (int from = 0; from < names.size(); from += BATCH) {
            List<String> batch = names.subList(from, Math.min(names.size(), from + BATCH));
            for (TopicDescription d : admin.describeTopics(batch).allTopicNames().get().values()) {
                for (var p : d.partitions()) {
                    if (p.leader() == null || p.leader().isEmpty()) {
                        throw new ExecutionException(new org.apache.kafka.common.errors.LeaderNotAvailableException(
                                "partition " + p.partition() + " of " + d.name() + " has no leader yet"));
                    }
                    partitions.add(new TopicPartition(d.name(), p.partition()));
                }
            }
        }
        return partitions;
    }
}
