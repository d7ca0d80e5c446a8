package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service of a staging host run as systemd runs it: the unit's ExecStart line, read from the unit file
 * the host installed, its prefix paths mapped into the host's directories, split into words as systemd
 * splits them, with the unit's environment. A child process the test can stop (SIGTERM, as
 * {@code systemctl stop}) or crash (SIGKILL) and start again with the same line.
 */
final class ServiceProcess implements AutoCloseable {
    private static final long STOP_SECONDS = 60; // the units' TimeoutStopSec

    private final String name;
    private final StagingHost host;
    private final Path unitFile;
    private final Path out;
    private Process process;
    private int starts;

    ServiceProcess(StagingHost host, String unit) {
        this.host = host;
        this.name = host.name() + "/" + unit;
        this.unitFile = host.path("/etc/systemd/system/" + unit + ".service");
        this.out = host.path("/var/log/virt-balancer/" + unit + ".journal");
    }

    /** Starts the unit's process (re-reading the unit file, as a start after daemon-reload does). */
    synchronized void start() {
        if (alive()) {
            throw new IllegalStateException(name + " runs already");
        }
        SystemdUnit unit = SystemdUnit.read(unitFile);
        List<String> command = Arrays.asList(host.substitute(unit.execStart()).split("\\s+"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        Map<String, String> env = pb.environment();
        env.putAll(host.environment());
        env.putAll(unit.resolveEnvironment(host::substitute));
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, "--- start " + (++starts) + ": " + String.join(" ", command) + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** SIGTERM and waits for the exit (SIGKILL after the unit's 60 s); returns the exit code. */
    synchronized int stop() {
        return end(false);
    }

    /** SIGKILL, as a crash; returns once the process is gone. */
    synchronized int kill() {
        return end(true);
    }

    private int end(boolean kill) {
        if (process == null) {
            return -1;
        }
        if (kill) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(STOP_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    String name() {
        return name;
    }

    /** What the process printed (stdout and stderr, all starts): the journal. */
    String journal() {
        try {
            return Files.exists(out) ? Files.readString(out) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (alive()) {
            kill();
        }
    }
}
