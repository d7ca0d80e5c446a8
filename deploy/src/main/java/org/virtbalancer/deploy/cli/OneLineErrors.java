package org.virtbalancer.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.ExecutionException;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.util.List;

/**
 * How {@code vbal} reports what went wrong: {@code error: SENTENCE}, plus for a bad command line
 * one {@code hint:} line, instead of picocli's whole usage text or a stack trace.
 */
final class OneLineErrors {
    private OneLineErrors() {}

    /**
     * Installs both handlers on {@code cl}. Call it right after creating the command line, so that
     * handlers installed later can wrap this one.
     */
    static void install(CommandLine cl) {
        cl.setParameterExceptionHandler(OneLineErrors::badCommandLine);
        IExecutionStrategy runLast = new CommandLine.RunLast();
        cl.setExecutionStrategy(parseResult -> {
            try {
                return runLast.execute(parseResult);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CommandFailure failure) {
                    PrintWriter err = e.getCommandLine().getErr();
                    err.println("error: " + failure.getMessage());
                    err.flush();
                    return failure.exitCode();
                }
                throw e;
            }
        });
    }

    private static int badCommandLine(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + sentence(e));
        err.println("hint: " + hint(e));
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static String sentence(ParameterException e) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        if (e.getMessage().startsWith("Missing required subcommand")) {
            return spec.qualifiedName() + " needs one of its commands: " + String.join(", ", spec.subcommands().keySet()
                    .stream().filter(name -> !name.equals("help")).toList());
        }
        if (e instanceof UnmatchedArgumentException u && !u.isUnknownOption() && !u.getUnmatched().isEmpty()) {
            return spec.qualifiedName() + " takes no " + (spec.subcommands().isEmpty() ? "" : "command or ")
                    + "argument '" + u.getUnmatched().get(0) + "'";
        }
        return e.getMessage();
    }

    private static String hint(ParameterException e) {
        String help = e.getCommandLine().getCommandSpec().qualifiedName() + " --help";
        if (e instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                return "did you mean " + String.join(" or ", suggestions.stream().limit(3).toList()) + "? (" + help
                        + " lists what it takes)";
            }
        }
        return help + " lists what it takes, with examples";
    }
}
