package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * docs/deploy.md as the staging test reads it. Every fenced block the test uses follows a marker line
 * {@code <!-- staging: STEP -->}: a {@code sh} block's commands (one a line, {@code \} continuing one, #
 * comments) are what the test runs for that step, a {@code properties} block's {@code key = value}
 * lines what it writes into a configuration file. A {@code sh} block without a marker is an error: the
 * guide holds no command the staging test does not run.
 */
final class DeployGuide {
    /** One marked block: its step, its language ({@code sh}, {@code properties}) and its lines. */
    record Block(String step, String language, List<String> lines) {
        /** The commands of a {@code sh} block, continuation lines joined. */
        List<String> commands() {
            List<String> commands = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : lines) {
                String l = line.strip();
                if (current.isEmpty() && (l.isEmpty() || l.startsWith("#"))) {
                    continue;
                }
                if (l.endsWith("\\")) {
                    current.append(l, 0, l.length() - 1).append(' ');
                } else {
                    commands.add(current.append(l).toString().replaceAll("\\s+", " ").strip());
                    current.setLength(0);
                }
            }
            return commands;
        }

        /** The {@code key = value} lines of a {@code properties} block. */
        Map<String, String> properties() {
            Map<String, String> p = new LinkedHashMap<>();
            for (String line : lines) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                int eq = l.indexOf('=');
                p.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
            }
            return p;
        }
    }

    private final Path file;
    private final Map<String, Block> blocks;

    private DeployGuide(Path file, Map<String, Block> blocks) {
        this.file = file;
        this.blocks = blocks;
    }

    static DeployGuide read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the deployment guide " + file, e);
        }
        Map<String, Block> blocks = new LinkedHashMap<>();
        String marker = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("<!-- staging: ") && line.endsWith(" -->")) {
                marker = line.substring("<!-- staging: ".length(), line.length() - " -->".length()).strip();
                continue;
            }
            if (line.startsWith("```") && line.length() > 3) {
                String language = line.substring(3).strip();
                List<String> body = new ArrayList<>();
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).strip().equals("```")) {
                    body.add(lines.get(j++));
                }
                if (language.equals("sh") && marker == null) {
                    throw new IllegalStateException(file + " line " + (i + 1) + ": a sh block without a"
                            + " <!-- staging: STEP --> marker; every command of the guide must be one the staging test runs");
                }
                if (marker != null) {
                    if (blocks.put(marker, new Block(marker, language, List.copyOf(body))) != null) {
                        throw new IllegalStateException(file + ": step " + marker + " is marked twice");
                    }
                }
                marker = null;
                i = j;
            } else if (!line.isEmpty()) {
                marker = null;
            }
        }
        return new DeployGuide(file, blocks);
    }

    /** The checkout's docs/deploy.md. */
    static DeployGuide ofCheckout() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("docs/deploy.md");
            if (Files.isRegularFile(f)) {
                return read(f);
            }
        }
        throw new IllegalStateException("docs/deploy.md not found above " + Path.of("").toAbsolutePath());
    }

    Block block(String step) {
        Block b = blocks.get(step);
        if (b == null) {
            throw new IllegalStateException(file + " has no block marked <!-- staging: " + step + " -->; its steps: "
                    + blocks.keySet());
        }
        return b;
    }

    /** Every {@code sh} block, in the guide's order. */
    List<Block> shellBlocks() {
        return blocks.values().stream().filter(b -> b.language().equals("sh")).toList();
    }

    /** The directory holding docs/: the checkout, where {@code deploy/bin/package} is run from. */
    Path checkout() {
        return file.toAbsolutePath().getParent().getParent();
    }
}
