package org.virtbalancer.deploy.staging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Edits an installed sample configuration (agent.conf, balancer.conf, *.env) as an operator does: for each
 * key, the line that sets it ({@code key = value}, {@code KEY=value}) or shows its default commented out
 * ({@code #key = default}) becomes {@code key = value}; every other line stays as shipped. A key the sample
 * does not show is an error: the samples list every key an operator sets.
 */
final class SampleConfig {
    private SampleConfig() {}

    static void edit(Path file, Map<String, String> values) {
        try {
            List<String> lines = new ArrayList<>(Files.readAllLines(file));
            boolean env = file.getFileName().toString().endsWith(".env");
            for (Map.Entry<String, String> e : values.entrySet()) {
                Pattern set = Pattern.compile("^\\s*" + Pattern.quote(e.getKey()) + "\\s*[=:].*$");
                Pattern shown = Pattern.compile("^\\s*#\\s*" + Pattern.quote(e.getKey()) + "\\s*=.*$");
                String line = env ? e.getKey() + "=" + e.getValue() : e.getKey() + " = " + e.getValue();
                int at = find(lines, set);
                if (at < 0) {
                    at = find(lines, shown);
                }
                if (at < 0) {
                    throw new IllegalArgumentException(file + " shows no key '" + e.getKey()
                            + "': the samples name every key an operator sets (deploy/config)");
                }
                lines.set(at, line);
            }
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot edit " + file, e);
        }
    }

    private static int find(List<String> lines, Pattern p) {
        for (int i = 0; i < lines.size(); i++) {
            if (p.matcher(lines.get(i)).matches()) {
                return i;
            }
        }
        return -1;
    }
}
