package org.virtbalancer.deploy.fault;

import org.virtbalancer.protocol.KafkaSettings;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbal agent …} in a child JVM, launched as BrokerScaleBenchmark launches its fleets (this
 * JDK, the test classpath, {@code org.virtbalancer.deploy.cli.Vbal}), so that a test can kill it
 * as a crash does: {@link #kill()} is SIGKILL, no shutdown hook runs.
 */
final class AgentProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private volatile long runningAt;

    private AgentProcess(List<String> command, Path log) throws IOException {
        this.log = log;
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("agents for ")) {
                        runningAt = System.currentTimeMillis();
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "agent-process-out");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code vbal agent --driver simulated} for {@code hosts} against the test's broker and
     * topic prefix, keeping its state (executed commands and the simulated hypervisor) in {@code stateDir}.
     */
    static AgentProcess simulated(KafkaSettings kafka, Path stateDir, Path log, List<String> hosts, String... more)
            throws IOException {
        List<String> args = new ArrayList<>();
        hosts.forEach(h -> args.addAll(List.of("--host", h)));
        args.addAll(List.of(more));
        return new AgentProcess(command(kafka, stateDir, log, "simulated", args), log);
    }

    /** Starts {@code vbal agent --driver libvirt} for one host, with its executed commands in {@code stateDir}. */
    static AgentProcess libvirt(KafkaSettings kafka, Path stateDir, Path log, String host, String uri, String migrationAddress)
            throws IOException {
        return new AgentProcess(command(kafka, stateDir, log, "libvirt", List.of("--host", host, "--libvirt-uri", uri,
                "--migration-address", migrationAddress)), log);
    }

    private static List<String> command(KafkaSettings kafka, Path stateDir, Path log, String driver, List<String> more) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dvb.log.file=" + log, "-cp", classpath,
                "org.virtbalancer.deploy.cli.Vbal", "agent", "--driver", driver, "--metrics-port", "0",
                "--bootstrap", kafka.bootstrapServers(), "--prefix", kafka.topics().prefix(), "--state-dir", stateDir.toString()));
        cmd.addAll(more);
        return cmd;
    }

    /** Whether it has printed that its agents run (they consume their command topics from then on). */
    boolean running() {
        return runningAt > 0;
    }

    /** Where its {@code /metrics} is served ({@code --metrics-port 0} picks a free port); null until it says so. */
    String metricsUrl() {
        return lines.stream().filter(l -> l.startsWith("metrics: ")).findFirst()
                .map(l -> l.substring("metrics: ".length()).trim().split("\\s+")[0]).orElse(null);
    }

    /** How many lines of its log file hold {@code text}; 0 while there is no log yet. */
    long logCount(String text) {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var in = Files.lines(log, StandardCharsets.UTF_8)) {
            return in.filter(l -> l.contains(text)).count();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** What it printed so far, for failure messages. */
    String output() {
        return String.join("\n", lines);
    }

    /** SIGKILL, as a crash: no shutdown hook, no graceful stop of its migrations; returns once it is dead. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("agent process " + process.pid() + " did not die within 30 s of SIGKILL");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
