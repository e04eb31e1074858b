package dev.stepstream.cli;

import dev.stepstream.events.LogLevel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream logs RUN_ID [--steps a,b] [--min-level warn] [--grep TEXT]} (docs/clients.md,
 * "The stepstream command line"): prints a run's log, {@code GET …/runs/{runId}/log}, as it
 * arrives: however long the log, the command holds one entry at a time. Each line is made safe
 * for a terminal ({@link Terminal#line}). Exit 0, 1 when the run does not exist (or the server
 * refuses), 2 on a usage or connection error.
 */
@Command(name = "logs", description = "Print a run's log lines (what is stored so far, if it still runs).",
        mixinStandardHelpOptions = true)
final class LogsCommand implements Callable<Integer> {
    /** A message's further lines, as the server writes them. */
    private static final String CONTINUATION = "  ";

    @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run's id (a UUID).")
    String runId;

    @Option(names = "--steps", paramLabel = "IDS", description = "Only the lines of these steps (comma-separated ids).")
    String steps;

    @Option(names = "--min-level", paramLabel = "LEVEL", description = "Only lines at this level or above: debug, info, warn or error.")
    String minLevel;

    @Option(names = "--grep", paramLabel = "TEXT",
            description = "Only the entries (a line and the lines of its message that follow it) that contain TEXT, in any case.")
    String grep;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String id = FollowCommand.canonical(spec, runId);
        StringBuilder query = new StringBuilder();
        if (minLevel != null) {
            try {
                LogLevel.fromWire(minLevel);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--min-level: expected debug, info, warn or error, got \""
                        + minLevel + "\"");
            }
            query.append("&minLevel=").append(minLevel);
        }
        if (steps != null) {
            query.append("&steps=").append(URLEncoder.encode(steps, StandardCharsets.UTF_8));
        }
        String path = "/api/v2/workflows/runs/" + id + "/log" + (query.isEmpty() ? "" : "?" + query.substring(1));
        Printer printer = new Printer(spec.commandLine().getOut(), Terminal.detect(), grep);
        ApiClient.Response refused = options.client().getStreamed(path, "text/plain", printer::print);
        if (refused != null) {
            return refused.refused(spec);
        }
        return Cli.OK;
    }

    /**
     * Prints the log's lines, or with {@code grep} the entries that contain it: an entry is
     * held until the line after its last continuation line shows that it is whole.
     */
    private static final class Printer {
        private final PrintWriter out;
        private final Terminal terminal;
        /** Lower-cased, or null to print every line as it comes. */
        private final String grep;
        /** The entry read so far, with {@code grep}; its lines separated by line feeds. */
        private final StringBuilder entry = new StringBuilder();

        Printer(PrintWriter out, Terminal terminal, String grep) {
            this.out = out;
            this.terminal = terminal;
            this.grep = grep == null ? null : grep.toLowerCase(Locale.ROOT);
        }

        /**
         * Reads lines ended by a line feed only: a lone CR is part of a message's text (which
         * {@link Terminal#line} shows as {@code ␍}), not the end of a line.
         */
        void print(Reader body) throws IOException {
            Reader buffered = new java.io.BufferedReader(body, 64 * 1024);
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = buffered.read()) >= 0) {
                if (c == '\n') {
                    line(line.toString());
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            if (!line.isEmpty()) {
                line(line.toString());
            }
            flushEntry();
            out.flush();
        }

        private void line(String line) {
            if (grep == null) {
                out.println(terminal.line(line));
                return;
            }
            if (!line.startsWith(CONTINUATION)) {
                flushEntry();
            }
            if (!entry.isEmpty()) {
                entry.append('\n');
            }
            entry.append(line);
        }

        private void flushEntry() {
            if (entry.isEmpty()) {
                return;
            }
            String text = entry.toString();
            if (text.toLowerCase(Locale.ROOT).contains(grep)) {
                for (String line : text.split("\n", -1)) {
                    out.println(terminal.line(line));
                }
            }
            entry.setLength(0);
        }
    }
}
