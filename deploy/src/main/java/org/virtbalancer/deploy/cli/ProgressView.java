package org.virtbalancer.deploy.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Progress that redraws itself in place on a terminal (ANSI cursor-up and erase), and prints each
 * new state as plain lines otherwise (a log file, a pipe, a test), skipping states already shown.
 */
final class ProgressView {
    private static final int DEFAULT_WIDTH = 80;
    private final PrintWriter out;
    private final boolean terminal;
    private final int width;
    private List<String> shown = List.of();

    /**
     * @param terminal whether {@code out} is a terminal that understands ANSI cursor movement
     * @param width    the terminal's columns: longer lines are cut so each takes one row and redraws cleanly
     */
    ProgressView(PrintWriter out, boolean terminal, int width) {
        this.out = out;
        this.terminal = terminal;
        this.width = Math.max(width, 20);
    }

    /** Replaces what is shown with {@code lines}; does nothing when they did not change. */
    void show(List<String> lines) {
        if (lines.equals(shown)) {
            return;
        }
        StringBuilder b = new StringBuilder();
        if (terminal && !shown.isEmpty()) {
            // Back to the first row of what was drawn, then erase it and everything below.
            b.append("\033[").append(shown.size()).append("A\r\033[J");
        }
        for (String line : lines) {
            b.append(terminal ? fit(line) : line).append(System.lineSeparator());
        }
        out.print(b);
        out.flush();
        shown = List.copyOf(lines);
    }

    private String fit(String line) {
        return line.length() < width ? line : line.substring(0, width - 2) + "…";
    }

    /** The terminal's width: {@code $COLUMNS}, else what {@code stty size} says, else 80. */
    static int terminalWidth() {
        try {
            String columns = System.getenv("COLUMNS");
            if (columns != null && columns.matches("\\d{2,4}")) {
                return Integer.parseInt(columns);
            }
            Process stty = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String size = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (stty.waitFor(2, TimeUnit.SECONDS) && size.matches("\\d+ \\d+")) {
                return Integer.parseInt(size.substring(size.indexOf(' ') + 1));
            }
        } catch (IOException | NumberFormatException e) {
            // No stty or no terminal: the default will do.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_WIDTH;
    }
}
