package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Runs the guide's {@code sh} blocks on a staging host: the block, its placeholders replaced with what
 * they are on the host, as one {@code bash -euo pipefail} script in the checkout with the host's
 * environment; a block of {@code systemctl} lines goes to the test's systemd instead ({@link Systemd}).
 * Remembers which blocks ran, so that a test can check that every one of the guide's did.
 */
final class GuideRunner {
    /** What the test does for {@code systemctl VERB… UNIT} on a host. */
    interface Systemd extends BiConsumer<StagingHost, List<String>> {}

    private final DeployGuide guide;
    private final Systemd systemd;
    private final Set<String> ran = ConcurrentHashMap.newKeySet();

    GuideRunner(DeployGuide guide, Systemd systemd) {
        this.guide = guide;
        this.systemd = systemd;
    }

    /** Runs step {@code step}'s commands on {@code host}; returns their output; fails if one fails. */
    String run(String step, StagingHost host) {
        DeployGuide.Block block = guide.block(step);
        if (!block.language().equals("sh")) {
            throw new IllegalArgumentException("step " + step + " is a " + block.language() + " block, not commands");
        }
        List<String> commands = block.commands();
        long systemctl = commands.stream().filter(c -> c.startsWith("systemctl ")).count();
        String output;
        if (systemctl == commands.size()) {
            for (String c : commands) {
                systemd.accept(host, List.of(c.substring("systemctl ".length()).split(" ")));
            }
            output = "";
        } else if (systemctl > 0) {
            throw new IllegalStateException("step " + step + " mixes systemctl with other commands; give systemctl a block of its own");
        } else {
            output = bash(step, host, host.substitute(String.join("\n", commands)));
        }
        ran.add(step);
        return output;
    }

    /** The guide's {@code sh} steps that no {@link #run} ran. */
    List<String> notRun() {
        return guide.shellBlocks().stream().map(DeployGuide.Block::step).filter(s -> !ran.contains(s)).toList();
    }

    /** A {@code properties} block's settings with {@code host}'s meaning of the placeholders. */
    java.util.Map<String, String> settings(String step, StagingHost host) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        guide.block(step).properties().forEach((k, v) -> out.put(k, host.substitute(v)));
        return out;
    }

    DeployGuide guide() {
        return guide;
    }

    private String bash(String step, StagingHost host, String script) {
        try {
            Path out = Files.createTempFile("vb-guide-", ".out");
            ProcessBuilder pb = new ProcessBuilder(List.of("bash", "-euo", "pipefail", "-c", script))
                    .directory(guide.checkout().toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().putAll(host.environment());
            Process p = pb.start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("step " + step + " on " + host.name() + " did not end within 600 s:\n" + script
                        + "\n" + Files.readString(out));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
            System.out.printf("[guide] %s on %s (exit %d):%n%s%n%s%n", step, host.name(), p.exitValue(),
                    indent(script, "  $ "), indent(output, "  "));
            if (p.exitValue() != 0) {
                throw new AssertionError("step " + step + " on " + host.name() + " exited " + p.exitValue() + ":\n" + script
                        + "\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String indent(String text, String prefix) {
        List<String> lines = new ArrayList<>();
        text.lines().forEach(l -> lines.add(prefix + l));
        return String.join("\n", lines);
    }
}
