package org.virtbalancer.deploy.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbal ARGS…} in a child JVM on the test classpath, as an operator runs it: its output
 * lines (with when each came), its log file ({@code -Dvb.log.file}), SIGTERM or SIGKILL.
 */
public final class VbalProcess implements AutoCloseable {
    /** One line of the child's stdout or stderr and when this JVM read it. */
    public record Line(long at, String text) {}

    private final String name;
    private final List<String> command;
    private final Path log;
    private final Process process;
    private final long launchedAt = System.currentTimeMillis();
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private VbalProcess(String name, List<String> command, Path log) throws IOException {
        this.name = name;
        this.command = List.copyOf(command);
        this.log = log;
        this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(new Line(System.currentTimeMillis(), line));
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, name + "-out");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Launches {@code vbal args…}.
     *
     * @param name       names the output thread and error messages
     * @param jvmOptions e.g. {@code -Xmx256m}
     * @param log        the child's log file
     */
    public static VbalProcess start(String name, List<String> jvmOptions, Path log, List<String> args) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Dvb.log.file=" + log, "-cp", classpath, Vbal.class.getName()));
        cmd.addAll(args);
        return new VbalProcess(name, cmd, log);
    }

    public List<String> command() {
        return command;
    }

    public long launchedAt() {
        return launchedAt;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /** The first output line starting with {@code prefix}, or null. */
    public Line firstLine(String prefix) {
        return lines.stream().filter(l -> l.text().startsWith(prefix)).findFirst().orElse(null);
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** Its output so far, for failure messages. */
    public String output() {
        StringBuilder b = new StringBuilder(name).append(" output:\n");
        lines.forEach(l -> b.append(l.text()).append('\n'));
        return b.toString();
    }

    /** How many lines of its log file hold {@code text}; 0 while there is no log yet. */
    public long logCount(String text) {
        try {
            if (!Files.exists(log)) {
                return 0;
            }
            try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
                return lines.filter(l -> l.contains(text)).count();
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    public Path log() {
        return log;
    }

    /** SIGTERM, as Ctrl-C or a service manager stops it; SIGKILL if it has not exited after 60 s. */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
    }
}
