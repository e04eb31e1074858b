package dev.stepstream.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;

/**
 * The usage help's option and parameter lists, wrapped at spaces only. Picocli's own wrapping
 * breaks lines inside words at punctuation, which cuts URLs in two ({@code http://127.} /
 * {@code 0.0.1:8080}) so that they cannot be copied; here a description is cut only between
 * words, and a word longer than the column is left whole on a line of its own.
 */
final class UsageText {
    private UsageText() {}

    /** Uses these lists for {@code commandLine} and each of its subcommands. */
    static void install(CommandLine commandLine) {
        commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
                help -> help.optionList(layout(help), help.createDefaultOptionSort(), help.parameterLabelRenderer()));
        commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_PARAMETER_LIST,
                help -> help.parameterList(layout(help), help.parameterLabelRenderer()));
        commandLine.getSubcommands().values().forEach(UsageText::install);
    }

    private static Help.Layout layout(Help help) {
        Help.Layout standard = help.createDefaultLayout();
        return new Help.Layout(help.colorScheme(), new SpaceWrappingTable(help.colorScheme(), standard.textTable().columns()),
                help.createDefaultOptionRenderer(), help.createDefaultParameterRenderer());
    }

    /** Picocli's table, but a value too long for its column is cut at spaces before picocli sees it. */
    private static final class SpaceWrappingTable extends Help.TextTable {
        private final Help.ColorScheme colors;

        SpaceWrappingTable(Help.ColorScheme colors, Help.Column[] columns) {
            super(colors, columns);
            this.colors = colors;
        }

        @Override
        public Cell putValue(int row, int col, Text value) {
            Help.Column column = columns()[col];
            int width = column.width - column.indent - 1;
            if (col != columns().length - 1 || value.plainString().length() <= width) {
                return super.putValue(row, col, value);
            }
            List<Text> lines = lines(value, width);
            Cell cell = super.putValue(row, col, lines.get(0));
            for (Text line : lines.subList(1, lines.size())) {
                addEmptyRow();
                // Continuation lines indented by two, as picocli indents its own.
                cell = super.putValue(rowCount() - 1, col, colors.text("  ").concat(line));
            }
            return cell;
        }

        /** {@code text} cut at spaces into lines of at most {@code width} (continuations {@code width - 2}). */
        private static List<Text> lines(Text text, int width) {
            String plain = text.plainString();
            List<Text> lines = new ArrayList<>();
            int start = 0;
            while (start < plain.length()) {
                int room = lines.isEmpty() ? width : width - 2;
                if (plain.length() - start <= room) {
                    lines.add(text.substring(start, plain.length()));
                    break;
                }
                int cut = plain.lastIndexOf(' ', start + room);
                if (cut <= start) {
                    cut = plain.indexOf(' ', start + room); // a word longer than the line stays whole
                    if (cut < 0) {
                        lines.add(text.substring(start, plain.length()));
                        break;
                    }
                }
                lines.add(text.substring(start, cut));
                start = cut + 1;
                while (start < plain.length() && plain.charAt(start) == ' ') {
                    start++;
                }
            }
            return lines;
        }
    }
}
