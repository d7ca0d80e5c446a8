package org.virtbalancer.deploy.cli;

/**
 * A command that cannot go on: one sentence saying what to do, and the {@link ExitCode} to end
 * with. {@link OneLineErrors} prints it as {@code error: SENTENCE}; nothing else is shown.
 */
final class CommandFailure extends RuntimeException {
    private final int exitCode;

    CommandFailure(int exitCode, String sentence) {
        super(sentence, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    static CommandFailure usage(String sentence) {
        return new CommandFailure(ExitCode.USAGE, sentence);
    }

    static CommandFailure unreachable(String sentence) {
        return new CommandFailure(ExitCode.UNREACHABLE, sentence);
    }

    static CommandFailure unknown(String sentence) {
        return new CommandFailure(ExitCode.UNKNOWN, sentence);
    }

    static CommandFailure failed(String sentence) {
        return new CommandFailure(ExitCode.FAILED, sentence);
    }
}
