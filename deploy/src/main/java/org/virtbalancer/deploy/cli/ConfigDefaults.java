package org.virtbalancer.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values for the options a command line leaves out, from the environment and a config file:
 * option {@code --http-port} is {@code VB_HTTP_PORT} in the environment and {@code http-port = 8484}
 * in the file (Java properties). The command line wins over the environment, the environment over
 * the file, and the file over the built-in default. The file is {@code --config FILE}, else
 * {@code $VB_CONFIG}, else the command's standard file when it exists; a key that names no option
 * is an error, so a misspelt setting never goes unnoticed.
 */
final class ConfigDefaults implements IDefaultValueProvider {
    static final String CONFIG_OPTION = "--config";
    static final String CONFIG_ENV = "VB_CONFIG";
    /** Environment names from before config files, still read (after the regular name). */
    private static final Map<String, List<String>> ENV_ALIASES = Map.of("prefix", List.of("VB_TOPIC_PREFIX"));
    private static final Pattern PICOCLI_REASON = Pattern.compile("^Invalid value for option '[^']*': (.*)$", Pattern.DOTALL);

    private final Path standardFile;
    private final Map<String, String> env;
    /** Where each value this provider supplied came from, to name it in errors. */
    private final Map<ArgSpec, String> origins = new HashMap<>();
    private Path loadedPath;
    private Map<String, String> loaded = Map.of();

    /** The config file cannot be read or holds a key that names no option. */
    static final class ConfigFileException extends ParameterException {
        ConfigFileException(CommandLine commandLine, String message) {
            super(commandLine, message);
        }
    }

    private ConfigDefaults(Path standardFile, Map<String, String> env) {
        this.standardFile = standardFile;
        this.env = Map.copyOf(env);
    }

    /**
     * Gives {@code command} a {@code --config FILE} option and takes its left-out options from
     * {@code env} and that file.
     *
     * @param standardFile read when neither {@code --config} nor {@code VB_CONFIG} names a file and it exists
     */
    static void install(CommandLine command, Path standardFile, Map<String, String> env) {
        CommandSpec spec = command.getCommandSpec();
        spec.addOption(OptionSpec.builder(CONFIG_OPTION).paramLabel("FILE").type(Path.class)
                .description("Config file of KEY = VALUE lines, KEY being an option's long name without dashes"
                        + " (default: $" + CONFIG_ENV + ", else " + standardFile + " when it exists)").build());
        // After the command's own footer (its examples), not instead of it.
        List<String> footer = new ArrayList<>(List.of(spec.usageMessage().footer()));
        footer.addAll(List.of("",
                "Every option can also be set in the config file (e.g. bootstrap = kafka-1:9092) or in the environment"
                        + " as VB_<OPTION> (e.g. VB_BOOTSTRAP, VB_HTTP_PORT). The command line wins over the environment,"
                        + " the environment over the file. All keys: config/README.md (deploy/config/ in the source)."));
        spec.usageMessage().footer(footer.toArray(String[]::new));
        command.setDefaultValueProvider(new ConfigDefaults(standardFile, env));
    }

    /** The file key of {@code option}, or empty for {@code --config}, {@code --help} and {@code --version}. */
    static Optional<String> key(OptionSpec option) {
        String longest = option.longestName();
        if (!longest.startsWith("--") || longest.equals(CONFIG_OPTION) || option.usageHelp() || option.versionHelp()) {
            return Optional.empty();
        }
        return Optional.of(longest.substring(2));
    }

    /** The environment variable of {@code key}: {@code http-port} is {@code VB_HTTP_PORT}. */
    static String envName(String key) {
        return "VB_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Every option of {@code spec} that can come from the file or the environment, in the order of its help. */
    static List<OptionSpec> configurable(CommandSpec spec) {
        return spec.options().stream().filter(o -> key(o).isPresent()).toList();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || key(option).isEmpty()) {
            return null;
        }
        String key = key(option).get();
        List<String> names = new ArrayList<>(List.of(envName(key)));
        names.addAll(ENV_ALIASES.getOrDefault(key, List.of()));
        for (String name : names) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                origins.put(arg, "environment variable " + name);
                return value.trim();
            }
        }
        Map<String, String> file = file(option.command());
        String value = file.get(key);
        if (value != null && !value.isBlank()) {
            origins.put(arg, loadedPath + ": key '" + key + "'");
            return value;
        }
        return null;
    }

    /**
     * A config file this provider could not use, or a value it gave that its option could not take,
     * as one sentence naming where the value came from; empty when the error is not about either.
     */
    Optional<String> explain(ParameterException e) {
        if (e instanceof ConfigFileException) {
            return Optional.of(e.getMessage());
        }
        String origin = e.getArgSpec() == null ? null : origins.get(e.getArgSpec());
        if (origin == null) {
            return Optional.empty();
        }
        Matcher m = PICOCLI_REASON.matcher(e.getMessage());
        String reason = m.matches() ? m.group(1) : e.getMessage();
        String undo = origin.startsWith("environment") ? "unset it" : "remove the line";
        return Optional.of(origin + ": " + reason + "; correct it, or " + undo + " to use the built-in default");
    }

    /**
     * Where the options that {@code message} names (as {@code --name}) got their values from, when
     * this provider gave them: e.g. {@code --high is from /etc/virt-balancer/balancer.conf: key 'high'}.
     */
    List<String> originsOf(CommandSpec spec, String message) {
        List<String> found = new ArrayList<>();
        for (OptionSpec option : configurable(spec)) {
            String origin = origins.get(option);
            if (origin != null && Pattern.compile(Pattern.quote(option.longestName()) + "(?![\\w-])").matcher(message).find()) {
                found.add(option.longestName() + " is from " + origin);
            }
        }
        return found;
    }

    /** The config file's values, read once per file; checked against the command's options. */
    private Map<String, String> file(CommandSpec spec) {
        Optional<Path> path = configFile(spec);
        if (path.isEmpty()) {
            return Map.of();
        }
        if (path.get().equals(loadedPath)) {
            return loaded;
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(path.get(), StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigFileException(spec.commandLine(), "cannot read config file " + path.get() + " (" + describe(e)
                    + "): pass a readable file of KEY = VALUE lines to " + CONFIG_OPTION + ", or none");
        }
        List<String> keys = configurable(spec).stream().map(o -> key(o).orElseThrow()).toList();
        Map<String, String> values = new HashMap<>();
        for (String key : props.stringPropertyNames().stream().sorted().toList()) {
            if (!keys.contains(key)) {
                throw new ConfigFileException(spec.commandLine(), path.get() + ": unknown key '" + key + "'"
                        + nearest(key, keys).map(k -> " (did you mean '" + k + "'?)").orElse("")
                        + "; correct or remove it. Known keys: " + String.join(", ", keys.stream().sorted().toList()));
            }
            values.put(key, props.getProperty(key).trim());
        }
        loadedPath = path.get();
        loaded = Map.copyOf(values);
        return loaded;
    }

    private Optional<Path> configFile(CommandSpec spec) {
        Object given = spec.findOption(CONFIG_OPTION).getValue();
        if (given != null) {
            return Optional.of((Path) given);
        }
        String fromEnv = env.get(CONFIG_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(Path.of(fromEnv.trim()));
        }
        return Files.isRegularFile(standardFile) ? Optional.of(standardFile) : Optional.empty();
    }

    private static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The known key closest to {@code key}, when it is a likely misspelling (at most 2 edits away). */
    static Optional<String> nearest(String key, List<String> keys) {
        return keys.stream().filter(k -> distance(key, k) <= 2).min(Comparator.comparingInt(k -> distance(key, k)));
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
