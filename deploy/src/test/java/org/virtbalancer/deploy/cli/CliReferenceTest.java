package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's CLI reference and every command's --help keep up with the commands registered. */
class CliReferenceTest {
    private static final Path README = Path.of(System.getProperty("user.dir")).resolveSibling("README.md");

    /** Every command below {@code vbal}, e.g. "maintenance enter", depth first. */
    private static List<CommandSpec> commands(CommandSpec spec) {
        List<CommandSpec> all = new ArrayList<>();
        for (CommandLine sub : spec.subcommands().values()) {
            all.add(sub.getCommandSpec());
            all.addAll(commands(sub.getCommandSpec()));
        }
        return all;
    }

    private static String name(CommandSpec spec) {
        return spec.qualifiedName().substring("vbal ".length());
    }

    private static String cliReference() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int start = readme.indexOf("\n## CLI reference\n");
        assertTrue(start >= 0, "README.md has no \"## CLI reference\" section");
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    @Test
    void theReadmesCliReferenceNamesEveryRegisteredCommand() throws IOException {
        String reference = cliReference();
        List<String> missing = commands(Vbal.commandLine().getCommandSpec()).stream().map(CliReferenceTest::name)
                .filter(name -> !Pattern.compile("`vbal " + Pattern.quote(name) + "[ `]").matcher(reference).find())
                .toList();
        assertEquals(List.of(), missing, "commands missing from README.md's CLI reference (a line `vbal NAME …`)");
    }

    @Test
    void theReadmesExitCodeTableHasEveryExitCode() throws IOException, IllegalAccessException {
        String reference = cliReference();
        for (Field f : ExitCode.class.getDeclaredFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers())) {
                int code = f.getInt(null);
                assertTrue(reference.contains("\n| " + code + " |"), "exit code " + code + " (" + f.getName()
                        + ") is not in README.md's exit-code table");
            }
        }
    }

    @Test
    void everyCommandsHelpShowsItsExitCodesAndExamples() {
        for (CommandSpec spec : commands(Vbal.commandLine().getCommandSpec())) {
            if (spec.userObject() instanceof CommandLine.HelpCommand || !spec.subcommands().isEmpty()) {
                continue;
            }
            String help = spec.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(help.contains("\nExit codes:\n  0 "), spec.qualifiedName() + " --help shows no exit codes:\n" + help);
            assertTrue(help.contains("\nExamples:\n  vbal " + name(spec)), spec.qualifiedName()
                    + " --help shows no example of itself:\n" + help);
        }
    }
}
