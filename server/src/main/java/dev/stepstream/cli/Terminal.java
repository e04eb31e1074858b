package dev.stepstream.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Colours when writing to a terminal, plain text otherwise; and text from a run made safe to
 * print either way ({@link SafeText}): with colour its SGR sequences kept, without them removed.
 * The commands' own human output (tables, confirmations, error lines) writes what came from the
 * server, a run or a file through {@link #printf}, without colour.
 */
final class Terminal {
    private final boolean colour;
    /**
     * Whether stdout is an interactive terminal, whatever NO_COLOR says: only then may a line be
     * redrawn in place (the live view's status line); piped output gets none of it.
     */
    private final boolean interactive;

    Terminal(boolean colour) {
        this(colour, false);
    }

    Terminal(boolean colour, boolean interactive) {
        this.colour = colour;
        this.interactive = interactive;
    }

    /** Colour only for an interactive terminal, and never when NO_COLOR is set (no-color.org). */
    static Terminal detect() {
        String noColour = System.getenv("NO_COLOR");
        boolean interactive = isTerminal(System.console()) && !"dumb".equals(System.getenv("TERM"));
        boolean colour = interactive && (noColour == null || noColour.isEmpty());
        return new Terminal(colour, interactive);
    }

    /** The console, when this process both reads from and writes to a terminal; else null. */
    static Console console() {
        Console console = System.console();
        return isTerminal(console) ? console : null;
    }

    /**
     * From Java 22 {@code System.console()} may return a console although the output is
     * redirected (JDK-8308591), and only {@code Console.isTerminal()}, which Java 21 lacks,
     * tells the two apart; before 22 a console exists only for a terminal.
     */
    private static boolean isTerminal(Console console) {
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Whether lines may be redrawn in place: stdout is a terminal that is not {@code dumb}. */
    boolean interactive() {
        return interactive;
    }

    /** Text from a run that must stay on one line: safe to print, a line feed shown as {@code ⏎}. */
    String line(String text) {
        return SafeText.sanitise(text, colour, "⏎");
    }

    /**
     * Text from a run that may have several lines (a log message, an error): safe to print,
     * each line after the first on a line of its own after {@code indent}, so that it reads as
     * going on under the first.
     */
    String lines(String text, String indent) {
        return SafeText.sanitise(text, colour, System.lineSeparator() + indent);
    }

    /**
     * {@code out.printf(format, fields)}, each text field made safe ({@link SafeText}) on one line
     * without colour, a line feed shown as {@code ⏎}. Every command's human output writes text
     * that is not its own (a workflow's or a step's name, a run's error, a problem's message, the
     * server's error message) this way, or as the cells of a {@link Table} (the rows of
     * {@code runs}, {@code workflows list} and {@code secrets list}): the format is the CLI's, the fields are whatever the
     * server, a run or a file held. Colour is for a run's log lines in its live view
     * ({@link #line}, {@link #lines}), never for these fields. Numbers and other non-text fields
     * are passed as they are. {@code --json} output never comes here: escaping is the JSON
     * encoder's job ({@link JsonOutput}).
     */
    static void printf(PrintWriter out, String format, Object... fields) {
        Object[] safe = fields.clone();
        for (int i = 0; i < safe.length; i++) {
            if (safe[i] instanceof CharSequence text) {
                safe[i] = plain(text.toString());
            }
        }
        out.printf(Locale.ROOT, format, safe);
    }

    /** A field for {@link #printf} made safe ahead, where its width must be measured as it will be printed. */
    static String plain(String text) {
        return SafeText.sanitise(text, false, "⏎");
    }

    String red(String text) {
        return paint("31", text);
    }

    String green(String text) {
        return paint("32", text);
    }

    String yellow(String text) {
        return paint("33", text);
    }

    String dim(String text) {
        return paint("2", text);
    }

    String bold(String text) {
        return paint("1", text);
    }

    private String paint(String code, String text) {
        return colour ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }

    static String duration(long millis) {
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        return (millis / 60_000) + " min " + (millis % 60_000) / 1000 + " s";
    }
}
