package org.virtbalancer.deploy.packaging;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.virtbalancer.deploy.cli.Vbal;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The configuration reference (deploy/config/README.md) and the sample config files cannot drift
 * from the commands: every option of {@code vbal agent} and {@code vbal balancer} has a row and a
 * sample line, every row and line names a real option, and every default the samples show is the
 * built-in one.
 */
class ConfigurationReferenceTest {
    /** {@code key = value} or {@code #key = value}: a sample line. */
    private static final Pattern SAMPLE_LINE = Pattern.compile("(?m)^(#?)([a-z][a-z0-9-]*) = ?(.*)$");

    @TempDir Path dir;

    private static CommandSpec command(String name) {
        return Vbal.commandLine(Map.of(), Path.of("/nonexistent")).getSubcommands().get(name).getCommandSpec();
    }

    /** The options a file can set, by key: every long option but --config, --help and --version. */
    private static Map<String, OptionSpec> options(String name) {
        Map<String, OptionSpec> byKey = new LinkedHashMap<>();
        for (OptionSpec o : command(name).options()) {
            String longest = o.longestName();
            if (longest.startsWith("--") && !o.usageHelp() && !o.versionHelp() && !longest.equals("--config")) {
                byKey.put(longest.substring(2), o);
            }
        }
        return byKey;
    }

    private static String envName(String key) {
        return "VB_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The README's table rows of {@code ## <Title> keys}: key → the row's cells. */
    private static Map<String, List<String>> rows(String service) {
        String readme = Checkout.read(Checkout.deploy("config/README.md"));
        String title = "## " + Character.toUpperCase(service.charAt(0)) + service.substring(1) + " keys";
        int from = readme.indexOf(title);
        assertTrue(from >= 0, "README.md has no section '" + title + "'");
        int to = readme.indexOf("\n## ", from + title.length());
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : readme.substring(from, to < 0 ? readme.length() : to).lines().toList()) {
            if (line.startsWith("| `")) {
                List<String> cells = List.of(line.substring(1, line.length() - 1).split(" \\| ", -1)).stream()
                        .map(String::trim).toList();
                rows.put(cells.get(0).replace("`", ""), cells);
            }
        }
        return rows;
    }

    /** The sample file's lines by key: [commented ("#" or ""), value]. */
    private static Map<String, String[]> sample(String service) {
        Map<String, String[]> lines = new LinkedHashMap<>();
        Matcher m = SAMPLE_LINE.matcher(Checkout.read(Checkout.deploy("config/" + service + ".conf")));
        while (m.find()) {
            String[] previous = lines.put(m.group(2), new String[] {m.group(1), m.group(3).trim()});
            assertEquals(null, previous, service + ".conf names " + m.group(2) + " twice");
        }
        return lines;
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "balancer"})
    void everyOptionHasAReferenceRowAndASampleLineAndNothingElseDoes(String service) {
        Map<String, OptionSpec> options = options(service);
        Map<String, List<String>> rows = rows(service);
        Map<String, String[]> sample = sample(service);
        List<String> problems = new ArrayList<>();
        for (var e : options.entrySet()) {
            String key = e.getKey();
            List<String> row = rows.get(key);
            if (row == null) {
                problems.add("README.md lacks a row: | `" + key + "` | `" + envName(key) + "` | `--" + key + "` | DEFAULT | "
                        + String.join(" ", e.getValue().description()) + " |");
            } else {
                if (!row.get(1).startsWith("`" + envName(key) + "`")) {
                    problems.add("README.md row " + key + ": environment should be `" + envName(key) + "`, is " + row.get(1));
                }
                if (!row.get(2).startsWith("`--" + key + "`")) {
                    problems.add("README.md row " + key + ": option should be `--" + key + "`, is " + row.get(2));
                }
            }
            if (!sample.containsKey(key)) {
                problems.add(service + ".conf lacks a line for " + key + " (#" + key + " = DEFAULT, with a comment)");
            }
        }
        rows.keySet().stream().filter(k -> !options.containsKey(k))
                .forEach(k -> problems.add("README.md has a row for " + k + ", which " + service + " has no option for"));
        sample.keySet().stream().filter(k -> !options.containsKey(k))
                .forEach(k -> problems.add(service + ".conf sets " + k + ", which " + service + " has no option for"));
        if (!problems.isEmpty()) {
            fail(String.join("\n", problems));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "balancer"})
    void theSampleFileIsReadAsItIsAndItsCommentedDefaultsAreTheBuiltInOnes(String service) throws IOException {
        // As shipped: every key known, every active value taken.
        CommandLine.ParseResult shipped = Vbal.commandLine(Map.of(), dir)
                .parseArgs(service, "--config", Checkout.deploy("config/" + service + ".conf").toString());
        assertTrue(shipped.hasSubcommand());

        // Every commented line switched on must change nothing a built-in default decides.
        Map<String, String[]> sample = sample(service);
        List<String> lines = new ArrayList<>();
        sample.forEach((key, line) -> {
            if (line[0].equals("#")) {
                lines.add(key + " = " + line[1]);
            }
        });
        Path defaults = Files.write(dir.resolve(service + "-defaults.conf"), lines);
        CommandSpec builtIn = Vbal.commandLine(Map.of(), dir).parseArgs(service).subcommand().commandSpec();
        CommandSpec fromSample = Vbal.commandLine(Map.of(), dir).parseArgs(service, "--config", defaults.toString())
                .subcommand().commandSpec();
        Map<String, List<String>> rows = rows(service);
        List<String> problems = new ArrayList<>();
        sample.forEach((key, line) -> {
            if (!line[0].equals("#")) {
                return;
            }
            Object expected = builtIn.findOption("--" + key).getValue();
            Object actual = fromSample.findOption("--" + key).getValue();
            // An option with no built-in value (resolved later, like prefix) can only be shown, not compared.
            if (expected != null && !expected.equals(actual)) {
                problems.add(service + ".conf: #" + key + " = " + line[1] + " reads as " + actual + ", the built-in default is "
                        + expected);
            }
            List<String> row = rows.get(key);
            if (!line[1].isEmpty() && row != null && !row.get(3).contains("`" + line[1] + "`")) {
                problems.add("README.md row " + key + ": default should show `" + line[1] + "` as " + service + ".conf does,"
                        + " is " + row.get(3));
            }
        });
        if (!problems.isEmpty()) {
            fail(String.join("\n", problems));
        }
    }
}
