package dev.stepstream.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A list command's table (runs, workflows, secrets): a header, then a row an item, each column as
 * wide as its widest cell as printed, two spaces between columns, the last column unpadded. A cell
 * holds text that is not the CLI's own (an id, a name), so it is made safe first
 * ({@link Terminal#plain}), and measured as made safe: a control character is shown in more than
 * one. Not thread-safe: one command fills and prints it.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] right;

    /** A table with these column headers, every column aligned left. */
    Table(String... headers) {
        rows.add(headers.clone());
        right = new boolean[headers.length];
    }

    /** Aligns these columns (numbers) on the right, header included. */
    Table alignRight(int... columns) {
        for (int column : columns) {
            right[column] = true;
        }
        return this;
    }

    /** Adds a row of one cell a column, each made safe to print. */
    void add(String... cells) {
        if (cells.length != right.length) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + right.length + " columns");
        }
        String[] safe = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            safe[i] = Terminal.plain(cells[i]);
        }
        rows.add(safe);
    }

    void print(PrintWriter out) {
        int[] widths = new int[right.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], width(row[i]));
            }
        }
        StringBuilder line = new StringBuilder();
        for (String[] row : rows) {
            line.setLength(0);
            for (int i = 0; i < row.length; i++) {
                boolean last = i == row.length - 1;
                int padding = widths[i] - width(row[i]);
                if (right[i]) {
                    line.repeat(' ', padding);
                }
                line.append(row[i]);
                if (!last) {
                    line.repeat(' ', right[i] ? 0 : padding).append("  ");
                }
            }
            out.println(line);
        }
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
