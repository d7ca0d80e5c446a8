package org.virtbalancer.deploy.packaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The source tree the tests run in, and programs run from it as an operator would. */
final class Checkout {
    /** A finished program: its exit code and its stdout and stderr together. */
    record Result(int exit, String output) {}

    private Checkout() {}

    /** The repository's root: the folder holding deploy/systemd. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/systemd"))) {
                return dir;
            }
        }
        throw new IllegalStateException("deploy/systemd not found above " + Path.of("").toAbsolutePath());
    }

    static Path deploy(String relative) {
        return root().resolve("deploy").resolve(relative);
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code program} is on the PATH. */
    static boolean onPath(String program) {
        return List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")).stream()
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

    /** Runs {@code command} with JAVA_HOME set to this JVM's; gives up (and fails) after {@code seconds}. */
    static Result run(List<String> command, long seconds) {
        try {
            Path output = Files.createTempFile("vb-run", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
                pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
                Process p = pb.start();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError(command + " did not end within " + seconds + " s: " + read(output));
                }
                return new Result(p.exitValue(), read(output));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
