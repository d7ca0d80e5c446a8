package org.virtbalancer.deploy.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A real single-node KRaft Kafka broker (broker and controller in one), started in this JVM on
 * 127.0.0.1. Used by the demo and the tests; production points at an existing cluster instead.
 * Settings: {@link KraftConfig}. {@link ChildKafka} runs the same broker in a child JVM, which
 * a test can stop and start again.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final Path logDir;
    private final boolean deleteOnClose;
    private final int port;
    private final KafkaRaftServer server;

    private EmbeddedKafka(Path logDir, boolean deleteOnClose, int port, KafkaRaftServer server) {
        this.logDir = logDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.server = server;
    }

    /** Starts a broker on a free loopback port with a fresh temporary log directory. */
    public static EmbeddedKafka start() {
        try {
            return start(Files.createTempDirectory("vb-kafka-"), true, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a broker.
     *
     * @param logDir        where the log lives; formatted if empty
     * @param deleteOnClose remove {@code logDir} on close
     * @param port          client port on 127.0.0.1, 0 for any free one
     */
    public static EmbeddedKafka start(Path logDir, boolean deleteOnClose, int port) {
        int clientPort = port == 0 ? KraftConfig.freePort() : port;
        int controllerPort = KraftConfig.freePort();
        return start(logDir, deleteOnClose, clientPort, KraftConfig.properties(logDir, clientPort, controllerPort));
    }

    /**
     * Starts a broker with {@code props} (built from {@link KraftConfig#properties}, with more
     * listeners or security added), formatting an empty {@code logDir} with {@code formatArgs} added
     * to {@code kafka-storage format} (e.g. {@code --add-scram}).
     *
     * @param clientPort the PLAINTEXT port on 127.0.0.1 that {@link #bootstrapServers()} names
     */
    static EmbeddedKafka start(Path logDir, boolean deleteOnClose, int clientPort, Properties props, String... formatArgs) {
        try {
            Path config = Files.createTempFile("vb-kafka-", ".properties");
            KraftConfig.write(props, config);
            KraftConfig.formatIfEmpty(logDir, config, formatArgs);
            Files.deleteIfExists(config);
            KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
            server.startup();
            return new EmbeddedKafka(logDir, deleteOnClose, clientPort, server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:port}, for bootstrap.servers. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            KraftConfig.deleteTree(logDir);
        }
    }
}
