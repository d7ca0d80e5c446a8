package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProgressViewTest {
    private static final String NL = System.lineSeparator();

    @Test
    void onATerminalEachStateRedrawsThePreviousOneInPlace() {
        StringWriter out = new StringWriter();
        ProgressView view = new ProgressView(new PrintWriter(out), true, 60);
        view.show(List.of("host-3  ENTERING  [##....] 1/3 moved", "    blocked db-1: pinned"));
        view.show(List.of("host-3  ENTERING  [##....] 1/3 moved", "    blocked db-1: pinned"));
        view.show(List.of("host-3  IN_MAINTENANCE  [######] 3/3 moved"));
        assertEquals("host-3  ENTERING  [##....] 1/3 moved" + NL + "    blocked db-1: pinned" + NL
                        // Up the two rows drawn, back to the first column, erase to the end of the screen.
                        + "\033[2A\r\033[J" + "host-3  IN_MAINTENANCE  [######] 3/3 moved" + NL,
                out.toString());
    }

    @Test
    void onATerminalLinesWiderThanItAreCutSoEachTakesOneRow() {
        StringWriter out = new StringWriter();
        new ProgressView(new PrintWriter(out), true, 20).show(List.of("x".repeat(30)));
        assertEquals("x".repeat(18) + "…" + NL, out.toString());
    }

    @Test
    void elsewhereEachNewStateIsPlainLinesAndRepeatsAreLeftOut() {
        StringWriter out = new StringWriter();
        ProgressView view = new ProgressView(new PrintWriter(out), false, Integer.MAX_VALUE);
        view.show(List.of("a 1/3"));
        view.show(List.of("a 1/3"));
        view.show(List.of("a 2/3", "x".repeat(300)));
        assertEquals("a 1/3" + NL + "a 2/3" + NL + "x".repeat(300) + NL, out.toString());
    }
}
