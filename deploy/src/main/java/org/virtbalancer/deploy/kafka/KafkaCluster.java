package org.virtbalancer.deploy.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * A real replicated KRaft cluster of n nodes (3 by default) on 127.0.0.1, each a combined
 * broker-controller in its own child JVM ({@link ChildKafka}): what fault tests need to kill a
 * partition leader or the active controller and watch the rest carry on. Nodes have ids 1..n, each its
 * own client and controller port, picked free at creation and kept across restarts, and a static quorum
 * of all n voters ({@code controller.quorum.voters}; Kafka 4.4 formats that as {@code kraft.version} 0
 * with no more than a shared cluster id, where a dynamic quorum, {@code controller.quorum.bootstrap.servers},
 * would need every voter's directory id at format time and buys nothing for a fixed test cluster). Internal topics are replicated 3 times with
 * {@code min.insync.replicas} 2 (transaction state too); unclean leader election is off
 * ({@link KraftConfig}).
 *
 * <p>Work directory: {@code node-<id>/} per node, laid out as {@link ChildKafka}'s. Every method
 * blocks; never call one on an event loop.
 */
public final class KafkaCluster implements AutoCloseable {
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Map<Integer, ChildKafka> nodes;
    private Admin admin;

    private KafkaCluster(Map<Integer, ChildKafka> nodes) {
        this.nodes = nodes;
    }

    /** A 3-node cluster in {@code dir}, see {@link #create(Path, int)}. */
    public static KafkaCluster create(Path dir) {
        return create(dir, 3);
    }

    /**
     * Prepares (formats) a cluster of {@code nodes} in {@code dir}, run with this JVM's classpath and
     * {@link ChildKafka#DEFAULT_JVM_OPTIONS}; starts nothing. Data directories are removed on close, the logs stay.
     */
    public static KafkaCluster create(Path dir, int nodes) {
        return create(dir, nodes, System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                ChildKafka.DEFAULT_JVM_OPTIONS);
    }

    /**
     * @param classpath  for the child JVMs: Kafka's server jars and this module
     * @param jvmOptions per node, e.g. {@link ChildKafka#DEFAULT_JVM_OPTIONS}
     */
    public static KafkaCluster create(Path dir, int nodes, String classpath, List<String> jvmOptions) {
        return create(dir, nodes, classpath, jvmOptions, (id, props) -> { }, List.of());
    }

    /**
     * A cluster whose nodes' settings {@code nodeSettings} changes before they are written (e.g. more
     * listeners, TLS, an authorizer: see the tests' SecureKafkaCluster), formatted with {@code formatArgs}
     * added to {@code kafka-storage format} (e.g. {@code --add-scram …}). The PLAINTEXT listener on the
     * node's client port must stay: readiness and {@link #leaderOf} use it.
     *
     * @param nodeSettings called once per node with its id and its settings, which it may change
     */
    public static KafkaCluster create(Path dir, int nodes, String classpath, List<String> jvmOptions,
                                      BiConsumer<Integer, Properties> nodeSettings, List<String> formatArgs) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + nodes);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        Map<Integer, Integer> clientPorts = new LinkedHashMap<>();
        Map<Integer, Integer> controllerPorts = new LinkedHashMap<>();
        for (int id = 1; id <= nodes; id++) {
            clientPorts.put(id, KraftConfig.freePort());
            controllerPorts.put(id, KraftConfig.freePort());
        }
        String voters = controllerPorts.entrySet().stream()
                .map(e -> KraftConfig.voter(e.getKey(), e.getValue())).collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        Map<Integer, ChildKafka> children = new LinkedHashMap<>();
        for (int id = 1; id <= nodes; id++) {
            Path nodeDir = dir.resolve("node-" + id);
            Properties props = KraftConfig.node(id, nodes, voters, nodeDir.resolve("data"), clientPorts.get(id),
                    controllerPorts.get(id));
            nodeSettings.accept(id, props);
            children.put(id, ChildKafka.prepare(nodeDir, id, clientPorts.get(id), props, clusterId, true, false, classpath,
                    jvmOptions, formatArgs.toArray(String[]::new)));
        }
        return new KafkaCluster(Collections.unmodifiableMap(children));
    }

    /**
     * Starts every node that is not running and waits until all are ready (each registered with the
     * quorum): launched together, since none is ready before a majority of voters runs.
     *
     * @return how long that took
     */
    public Duration startAll() {
        long began = System.nanoTime();
        List<ChildKafka> launched = new ArrayList<>();
        for (ChildKafka node : nodes.values()) {
            if (!node.isRunning()) {
                node.launch();
                launched.add(node);
            }
        }
        launched.forEach(ChildKafka::awaitReady);
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /** The node ids, 1..n. */
    public List<Integer> nodeIds() {
        return List.copyOf(nodes.keySet());
    }

    /** Every node's {@code 127.0.0.1:port}, comma-separated (running or not: clients find the live ones). */
    public String bootstrapServers() {
        return nodes.values().stream().map(ChildKafka::bootstrapServers).collect(Collectors.joining(","));
    }

    /** One node's {@code 127.0.0.1:port}. */
    public String bootstrapServers(int node) {
        return node(node).bootstrapServers();
    }

    /** Crashes one node (SIGKILL) and waits until its process is gone. */
    public Duration kill(int node) {
        return node(node).kill();
    }

    /** Stops one node cleanly (SIGTERM: it hands over its leaderships) and waits until it has exited. */
    public Duration stop(int node) {
        return node(node).stop();
    }

    /**
     * Starts one node again (same ports, same data) and waits until it is ready. After a kill this
     * takes about 9 s longer: the controller refuses the new registration until the old session has expired.
     */
    public Duration start(int node) {
        return node(node).start();
    }

    public boolean isRunning(int node) {
        return node(node).isRunning();
    }

    /** The node's own process, for its logs and data directory. */
    public ChildKafka node(int node) {
        ChildKafka child = nodes.get(node);
        if (child == null) {
            throw new IllegalArgumentException("no node " + node + " in this cluster; its nodes are " + nodes.keySet());
        }
        return child;
    }

    /**
     * The id of the node that leads {@code topic}'s {@code partition} as the cluster's metadata says
     * now, or -1 if it has none (no replica in sync is alive).
     */
    public int leaderOf(String topic, int partition) {
        TopicDescription d = await(admin().describeTopics(Set.of(topic)).topicNameValues().get(topic), "describe " + topic);
        TopicPartitionInfo p = d.partitions().stream().filter(i -> i.partition() == partition).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(topic + " has no partition " + partition + "; it has "
                        + d.partitions().size()));
        Node leader = p.leader();
        return leader == null || leader.isEmpty() ? -1 : leader.id();
    }

    /** The id of the active controller: the leader of the KRaft metadata quorum. */
    public int activeController() {
        return await(admin().describeMetadataQuorum().quorumInfo(), "describe the metadata quorum").leaderId();
    }

    /** The ids of the nodes whose process runs, in order. */
    public List<Integer> running() {
        return nodes.keySet().stream().filter(this::isRunning).toList();
    }

    /** Kills every node still running and removes the data directories; logs stay. */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        nodes.values().forEach(ChildKafka::close);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.CLIENT_ID_CONFIG, "vb-kafka-cluster",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis(),
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500,
                    "metric.reporters", "", "enable.metrics.push", "false"));
        }
        return admin;
    }

    private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot " + what + ": no node answered within " + ADMIN_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to " + what, e);
        }
    }
}
