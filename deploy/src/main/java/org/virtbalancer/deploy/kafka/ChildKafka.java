package org.virtbalancer.deploy.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real KRaft node (broker and controller in one) in a child JVM ({@code kafka.Kafka server.properties})
 * on 127.0.0.1, which can be stopped cleanly (SIGTERM) or killed (SIGKILL) and started again on the
 * same ports and the same data directory: what fault tests need. On its own it is a single-node broker
 * with {@link EmbeddedKafka}'s settings ({@link KraftConfig}); {@link KafkaCluster} runs several as one
 * cluster. Every start is a cold JVM start (6.5-7.4 s on 2 cores, measured here); ready means the node
 * answers {@code Admin.describeCluster()} and names itself among the registered brokers. The child
 * exits by itself when this JVM dies (it watches its stdin), so a crashed test leaves no broker behind.
 *
 * <p>Layout of the work directory: {@code data/} (the log), {@code server.properties},
 * {@code broker.log} (the broker's log4j output) and {@code broker.out} (its stdout and stderr).
 * Methods block: never call them on an event loop.
 */
public final class ChildKafka implements AutoCloseable {
    /**
     * 512 MiB of heap (RSS about 220 MB); the client JIT only and the serial collector: on a busy
     * 2-core machine a cold start took 6.4-7.3 s with them and 9.3-18 s without (measured here).
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final Path workDir;
    private final boolean deleteDataOnClose;
    private final boolean temporary;
    private final int nodeId;
    private final int clientPort;
    private final String classpath;
    private final List<String> jvmOptions;
    private Process process;
    private long launchedAt;

    private ChildKafka(Path workDir, boolean deleteDataOnClose, boolean temporary, int nodeId, int clientPort,
                       String classpath, List<String> jvmOptions) {
        this.workDir = workDir;
        this.deleteDataOnClose = deleteDataOnClose;
        this.temporary = temporary;
        this.nodeId = nodeId;
        this.clientPort = clientPort;
        this.classpath = classpath;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /**
     * Prepares a single-node broker in {@code workDir} (formatted when its data directory is empty) on two free
     * loopback ports, kept for every later start; does not start it.
     *
     * @param deleteDataOnClose remove {@code data/} on close; the logs stay
     * @param classpath  for the child JVM: Kafka's server jars and this module (e.g. this JVM's own)
     * @param jvmOptions e.g. {@link #DEFAULT_JVM_OPTIONS}
     */
    public static ChildKafka create(Path workDir, boolean deleteDataOnClose, String classpath, List<String> jvmOptions) {
        return create(workDir, deleteDataOnClose, false, classpath, jvmOptions);
    }

    private static ChildKafka create(Path workDir, boolean deleteDataOnClose, boolean temporary, String classpath,
                                     List<String> jvmOptions) {
        int clientPort = KraftConfig.freePort();
        int controllerPort = KraftConfig.freePort();
        Properties props = KraftConfig.properties(workDir.resolve("data"), clientPort, controllerPort);
        return prepare(workDir, KraftConfig.SINGLE_NODE_ID, clientPort, props, Uuid.randomUuid().toString(),
                deleteDataOnClose, temporary, classpath, jvmOptions);
    }

    /**
     * Prepares a node in {@code workDir}: writes {@code props} (whose {@code log.dirs} is {@code workDir/data})
     * to {@code server.properties} and formats {@code data/} as a member of {@code clusterId} if it is empty,
     * with {@code formatArgs} added to {@code kafka-storage format}.
     */
    static ChildKafka prepare(Path workDir, int nodeId, int clientPort, Properties props, String clusterId,
                              boolean deleteDataOnClose, boolean temporary, String classpath, List<String> jvmOptions,
                              String... formatArgs) {
        try {
            Files.createDirectories(workDir);
            Path config = workDir.resolve("server.properties");
            KraftConfig.write(props, config);
            KraftConfig.formatIfEmpty(clusterId, workDir.resolve("data"), config, formatArgs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a Kafka broker in " + workDir, e);
        }
        return new ChildKafka(workDir, deleteDataOnClose, temporary, nodeId, clientPort, classpath, jvmOptions);
    }

    /** A broker in a fresh temporary directory, deleted on close, run with this JVM's classpath and {@link #DEFAULT_JVM_OPTIONS}. */
    public static ChildKafka createTemporary() {
        try {
            return create(Files.createTempDirectory("vb-child-kafka-"), true, true, System.getProperty("java.class.path"),
                    DEFAULT_JVM_OPTIONS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the broker and waits until it is ready (it answers {@code describeCluster} and is registered).
     *
     * @return how long that took
     * @throws IllegalStateException if it is running already, exits, or is not ready within 90 s
     */
    public synchronized Duration start() {
        launch();
        awaitReady();
        return Duration.ofNanos(System.nanoTime() - launchedAt);
    }

    /**
     * Launches the child JVM without waiting for it: a node of a cluster cannot be ready before a
     * quorum of its voters runs, so {@link KafkaCluster} launches them all first.
     */
    synchronized void launch() {
        if (isRunning()) {
            throw new IllegalStateException("the broker on " + bootstrapServers() + " is running already; stop it first");
        }
        launchedAt = System.nanoTime();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Dvb.log.file=" + log(), "-cp", classpath, Main.class.getName(),
                workDir.resolve("server.properties").toString()));
        try {
            Path out = workDir.resolve("broker.out");
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch the Kafka broker JVM", e);
        }
    }

    /**
     * Clean shutdown: SIGTERM, then waits for the process to exit (SIGKILL after 60 s).
     *
     * @return how long the broker took to exit
     */
    public synchronized Duration stop() {
        return end(false);
    }

    /**
     * Crash: SIGKILL, and waits for the process to be gone. The next start recovers the log, and
     * takes about 8 s longer: the controller refuses the broker's new registration
     * ({@code DuplicateBrokerRegistrationException}) until the crashed one's session
     * ({@code broker.session.timeout.ms}, 9 s) has expired (measured here).
     *
     * @return how long until the process was gone
     */
    public synchronized Duration kill() {
        return end(true);
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The running broker's process id, or -1. */
    public synchronized long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /** Its {@code node.id}. */
    public int nodeId() {
        return nodeId;
    }

    /** {@code 127.0.0.1:port}, the same across restarts. */
    public String bootstrapServers() {
        return "127.0.0.1:" + clientPort;
    }

    public Path dataDir() {
        return workDir.resolve("data");
    }

    /** The broker's own log (WARN and above from Kafka, as configured by log4j2.xml). */
    public Path log() {
        return workDir.resolve("broker.log");
    }

    @Override
    public synchronized void close() {
        if (isRunning()) {
            end(true);
        }
        if (temporary) {
            KraftConfig.deleteTree(workDir);
        } else if (deleteDataOnClose) {
            KraftConfig.deleteTree(dataDir());
        }
    }

    private Duration end(boolean kill) {
        if (!isRunning()) {
            return Duration.ZERO;
        }
        long began = System.nanoTime();
        if (kill) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /**
     * Waits until the launched node answers {@code describeCluster} with itself among the brokers:
     * registered with the controller and unfenced. Kills it if it is not ready within 90 s of its launch.
     */
    synchronized void awaitReady() {
        if (process == null) {
            throw new IllegalStateException("the broker on " + bootstrapServers() + " was never launched");
        }
        long giveUp = launchedAt + READY_TIMEOUT.toNanos();
        Map<String, Object> config = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "vb-child-kafka-ready",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 100,
                "metric.reporters", "", "enable.metrics.push", "false");
        try (Admin admin = Admin.create(config)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                            + " while starting; see " + workDir.resolve("broker.out") + " and " + log() + tail());
                }
                try {
                    if (admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).stream().anyMatch(n -> n.id() == nodeId)) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // Not listening yet.
                }
                if (System.nanoTime() > giveUp) {
                    end(true);
                    throw new IllegalStateException("the Kafka broker on " + bootstrapServers() + " was not ready within "
                            + READY_TIMEOUT.toSeconds() + " s; see " + log() + tail());
                }
                Thread.sleep(100); // the caller's thread, never an event loop
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end(true);
            throw new IllegalStateException("interrupted while the Kafka broker started", e);
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(workDir.resolve("broker.out"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The child's main: Kafka's own {@code kafka.Kafka}, plus a watch on stdin, which the parent
     * holds open: when the parent dies the pipe closes and the broker shuts down cleanly.
     */
    public static final class Main {
        private Main() {}

        public static void main(String[] args) {
            Thread watch = new Thread(() -> {
                try (InputStream in = System.in) {
                    while (in.read() >= 0) {
                        // Nothing is sent; only the end of the stream matters.
                    }
                } catch (IOException e) {
                    // Treated as the parent being gone.
                }
                System.exit(0);
            }, "vb-parent-watch");
            watch.setDaemon(true);
            watch.start();
            kafka.Kafka.main(args);
        }
    }
}
