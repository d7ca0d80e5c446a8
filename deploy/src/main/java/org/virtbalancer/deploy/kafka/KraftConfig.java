package org.virtbalancer.deploy.kafka;

import org.apache.kafka.common.Uuid;
import org.virtbalancer.protocol.Topics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The server settings of a KRaft node in combined mode (broker and controller in one) on 127.0.0.1:
 * a single-node broker, whether it runs in this JVM ({@link EmbeddedKafka}) or in a child JVM
 * ({@link ChildKafka}), or one node of a {@link KafkaCluster}. Settings follow what was measured on
 * 2-core machines (measured here): one offsets partition, two threads of each kind, a small log-cleaner
 * buffer. A single node has replication factor and min ISR 1 everywhere; a cluster of n nodes
 * replicates its internal topics n times (at most 3), and every topic asks for as many in sync as
 * {@code vbal topics create} would ({@link Topics.Layout#minInsyncReplicasFor}).
 */
final class KraftConfig {
    private KraftConfig() {}

    /** The node id of a single-node broker. */
    static final int SINGLE_NODE_ID = 1;

    /** A single-node broker: node {@value #SINGLE_NODE_ID}, the only voter. */
    static Properties properties(Path logDir, int clientPort, int controllerPort) {
        return node(SINGLE_NODE_ID, 1, voter(SINGLE_NODE_ID, controllerPort), logDir, clientPort, controllerPort);
    }

    /** {@code id@127.0.0.1:port}, one entry of {@code controller.quorum.voters}. */
    static String voter(int nodeId, int controllerPort) {
        return nodeId + "@127.0.0.1:" + controllerPort;
    }

    /** The replication factor of the internal topics (offsets, transaction state) of a cluster of {@code nodes}. */
    static int internalReplicationFactor(int nodes) {
        return Math.min(3, nodes);
    }


    /**
     * One node of a cluster of {@code nodes} combined broker-controllers.
     *
     * @param voters {@code controller.quorum.voters}: every node's {@link #voter}, comma-separated
     */
    static Properties node(int nodeId, int nodes, String voters, Path logDir, int clientPort, int controllerPort) {
        int rf = internalReplicationFactor(nodes);
        String minIsr = Integer.toString(Topics.Layout.minInsyncReplicasFor(rf));
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        props.put("controller.quorum.voters", voters);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toAbsolutePath().toString());
        props.put("num.partitions", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("offsets.topic.replication.factor", Integer.toString(rf));
        props.put("transaction.state.log.replication.factor", Integer.toString(rf));
        props.put("transaction.state.log.min.isr", minIsr);
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", Integer.toString(rf));
        props.put("share.coordinator.state.topic.min.isr", minIsr);
        props.put("default.replication.factor", Integer.toString(rf));
        props.put("min.insync.replicas", minIsr);
        // Never elect a replica that missed committed records: a lost command is worse than a pause.
        props.put("unclean.leader.election.enable", "false");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("background.threads", "2");
        props.put("log.cleaner.dedupe.buffer.size", "2097152");
        props.put("log.cleaner.threads", "1");
        props.put("auto.create.topics.enable", "false");
        props.put("message.max.bytes", "2097152");
        return props;
    }

    static void write(Properties props, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "virt-balancer KRaft node");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Formats {@code logDir} for a new single-node cluster unless it already holds one (a restart keeps its data).
     *
     * @param extraArgs more arguments of {@code kafka-storage format}, e.g. {@code --add-scram …}
     */
    static void formatIfEmpty(Path logDir, Path configFile, String... extraArgs) throws IOException {
        formatIfEmpty(Uuid.randomUuid().toString(), logDir, configFile, extraArgs);
    }

    /**
     * Formats {@code logDir} as a member of cluster {@code clusterId} unless it already holds data;
     * every node of one cluster is formatted with the same id.
     */
    static void formatIfEmpty(String clusterId, Path logDir, Path configFile, String... extraArgs) throws IOException {
        if (!isEmpty(logDir)) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("format", "-t", clusterId, "-c", configFile.toString()));
        args.addAll(List.of(extraArgs));
        int rc = kafka.tools.StorageTool.execute(args.toArray(String[]::new), new PrintStream(buf, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed: " + buf);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
