package org.virtbalancer.deploy.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rows in aligned columns under a header: text to the left, figures to the right; the last column runs free. */
final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /** Headers ending in {@code >} are right-aligned columns (the {@code >} is not shown). */
    Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
    }

    Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        rows.add(Arrays.stream(cells).map(String::valueOf).toArray(String[]::new));
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    List<String> lines() {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = headers[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(format(headers, widths));
        rows.forEach(row -> lines.add(format(row, widths)));
        return lines;
    }

    private String format(String[] cells, int[] widths) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(widths[i] - cells[i].length());
            b.append(right[i] ? pad + cells[i] : last ? cells[i] : cells[i] + pad);
            if (!last) {
                b.append("  ");
            }
        }
        return b.toString().stripTrailing();
    }
}
