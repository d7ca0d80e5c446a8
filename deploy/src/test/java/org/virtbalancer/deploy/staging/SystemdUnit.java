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
 * What systemd takes from one of the shipped service units to start its process: the {@code ExecStart}
 * line as written, the {@code EnvironmentFile}s (a leading {@code -}: optional) and the
 * {@code Environment} assignments, in that order of precedence (later wins, as in systemd).
 */
record SystemdUnit(Path file, String execStart, List<String> environmentFiles, Map<String, String> environment) {

    static SystemdUnit read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the unit " + file, e);
        }
        String exec = null;
        List<String> envFiles = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        boolean service = false;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                service = line.equals("[Service]");
                continue;
            }
            if (!service || line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            switch (key) {
                case "ExecStart" -> {
                    if (exec != null) {
                        throw new IllegalStateException(file + " has two ExecStart= lines; Type=exec takes one");
                    }
                    exec = value;
                }
                case "EnvironmentFile" -> envFiles.add(value);
                case "Environment" -> {
                    int at = value.indexOf('=');
                    env.put(value.substring(0, at), value.substring(at + 1));
                }
                default -> { }
            }
        }
        if (exec == null) {
            throw new IllegalStateException(file + " has no ExecStart= line in [Service]");
        }
        return new SystemdUnit(file, exec, List.copyOf(envFiles), Map.copyOf(env));
    }

    /**
     * The unit's environment as systemd builds it: each EnvironmentFile's {@code KEY=value} lines (with
     * {@code paths} mapping the unit's absolute paths to where they are here), then Environment=.
     */
    Map<String, String> resolveEnvironment(java.util.function.UnaryOperator<String> paths) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String f : environmentFiles) {
            boolean optional = f.startsWith("-");
            Path path = Path.of(paths.apply(optional ? f.substring(1) : f));
            if (!Files.exists(path)) {
                if (optional) {
                    continue;
                }
                throw new IllegalStateException(file + " names EnvironmentFile " + path + ", which does not exist");
            }
            try {
                for (String line : Files.readAllLines(path)) {
                    String l = line.strip();
                    if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                        continue;
                    }
                    int eq = l.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalStateException(path + ": '" + l + "' is not KEY=value");
                    }
                    env.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        environment.forEach((k, v) -> env.put(k, paths.apply(v)));
        return env;
    }
}
