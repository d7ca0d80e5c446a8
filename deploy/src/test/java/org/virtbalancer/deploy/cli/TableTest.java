package org.virtbalancer.deploy.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TableTest {
    @Test
    void textIsLeftAlignedFiguresRightAlignedAndTheLastColumnRunsFree() {
        Table t = new Table("HOST", "CPU%>", "FLAGS");
        t.row("host-1", 92, "overloaded");
        t.row("host-10", 7, "");
        assertEquals(List.of(
                "HOST     CPU%  FLAGS",
                "host-1     92  overloaded",
                "host-10     7"), t.lines());
    }

    @Test
    void aRowMustFillEveryColumn() {
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("only one"));
    }
}
