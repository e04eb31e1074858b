package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.time.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code stepstream status}: one screen about a server, from its {@code /readyz} and two scrapes
 * of its {@code /metrics} an interval apart (for the rates): version, uptime, readiness,
 * connections, runs by status, events per second, the store's disk. Exit 0 when it is ready, 1 when it is not,
 * 2 when it cannot be reached.
 */
@Command(name = "status", description = "Summarise a server: version, uptime, readiness, connections, runs, events/s, disk.",
        mixinStandardHelpOptions = true)
final class StatusCommand implements Callable<Integer> {
    private static final String[] RUN_STATUSES = {"success", "failed", "cancelled", "interrupted"};

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Time between the two scrapes that the rates are measured over (default 1s).")
    String interval;

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Duration pause = pause();
        ApiClient client = options.client();
        ApiClient.Response ready = client.get("/readyz");
        // With credentials on, /metrics needs a viewer's token: without one, a refusal (exit 1) says so.
        String first = client.getText("/metrics", "text/plain");
        long started = System.nanoTime();
        Thread.sleep(pause); // the interval the rates are measured over
        String second = client.getText("/metrics", "text/plain");
        double seconds = (System.nanoTime() - started) / 1e9;
        MetricsText before = MetricsText.parse(first);
        MetricsText now = MetricsText.parse(second);

        PrintWriter out = spec.commandLine().getOut();
        String version = now.label("stepstream_build_info", "version");
        Terminal.printf(out, "stepstream %s at %s%n", version == null ? "(unknown version)" : version, client.shown());
        row(out, "state", readiness(ready));
        row(out, "uptime", uptime(now.sum("process_uptime_seconds")));
        row(out, "connections", connections(now));
        row(out, "runs", runs(now));
        row(out, "events/s", String.format(Locale.ROOT, "%s stored, %s delivered (over %s)",
                rate(now.sum("stepstream_events_committed_total") - before.sum("stepstream_events_committed_total"), seconds),
                rate(now.sum("stepstream_stream_events_delivered_total") - before.sum("stepstream_stream_events_delivered_total"), seconds),
                Durations.format(pause)));
        row(out, "event log", String.format(Locale.ROOT, "%,d of %,d queued",
                (long) now.sum("stepstream_eventlog_queue_depth"), (long) now.sum("stepstream_eventlog_queue_capacity")));
        row(out, "store", store(now));
        out.flush();
        return ready.ok() ? Cli.OK : Cli.FAILED;
    }

    private Duration pause() {
        try {
            Duration parsed = Durations.parse(interval.trim());
            if (!parsed.isNegative() && !parsed.isZero() && parsed.compareTo(Duration.ofMinutes(1)) <= 0) {
                return parsed;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "--interval: expected a duration from 1ms to 1m, like 500ms or 2s, got \""
                + interval + "\"");
    }

    /** A row of the summary; its value may quote the server (its version, its readiness), so it is made safe. */
    private static void row(PrintWriter out, String name, String value) {
        Terminal.printf(out, "%-12s %s%n", name, value);
    }

    private static String readiness(ApiClient.Response ready) {
        if (ready.ok()) {
            List<String> parts = new ArrayList<>();
            ready.body().properties().forEach(part -> {
                if (!part.getKey().equals("status")) {
                    parts.add(part.getKey() + " " + part.getValue().asText());
                }
            });
            return "ready (" + String.join(", ", parts) + ")";
        }
        JsonNode message = ready.body().path("error").path("message");
        return message.isMissingNode() ? "not ready (HTTP " + ready.status() + ")" : message.asText();
    }

    private static String store(MetricsText now) {
        return String.format(Locale.ROOT, "%s on disk, %s free inside to give back; %,d runs deleted since start (%,d by retention)",
                bytes(now.sum("stepstream_store_size_bytes")), bytes(now.sum("stepstream_store_reclaimable_bytes")),
                (long) now.sum("stepstream_runs_deleted_total"), (long) now.sum("stepstream_runs_deleted_total", "reason=retention"));
    }

    /** A size in the largest binary unit that keeps it at 1 or more: {@code 312.4 MiB}. */
    static String bytes(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (bytes >= 1024 && unit < units.length - 1) {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? String.format(Locale.ROOT, "%.0f B", bytes) : String.format(Locale.ROOT, "%.1f %s", bytes, units[unit]);
    }

    private static String uptime(double seconds) {
        long total = (long) seconds;
        if (total < 60) {
            return total + " s";
        }
        if (total < 3600) {
            return total / 60 + " min " + total % 60 + " s";
        }
        if (total < 86_400) {
            return total / 3600 + " h " + total % 3600 / 60 + " min";
        }
        return total / 86_400 + " d " + total % 86_400 / 3600 + " h";
    }

    private static String connections(MetricsText now) {
        return String.format(Locale.ROOT, "%,d open: %,d run WebSocket, %,d run SSE, %,d all-runs; %,d opened since start",
                (long) now.sum("stepstream_stream_connections_open"),
                (long) now.sum("stepstream_stream_connections_open", "transport=websocket", "stream=run"),
                (long) now.sum("stepstream_stream_connections_open", "transport=sse"),
                (long) now.sum("stepstream_stream_connections_open", "stream=all_runs"),
                (long) now.sum("stepstream_stream_connections_opened_total"));
    }

    private static String runs(MetricsText now) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%,d running, %,d queued; ended since start:",
                (long) now.sum("stepstream_runs_active", "state=running"), (long) now.sum("stepstream_runs_active", "state=queued")));
        for (String status : RUN_STATUSES) {
            line.append(String.format(Locale.ROOT, " %,d %s", (long) now.sum("stepstream_runs_completed_total", "status=" + status), status));
            if (!status.equals(RUN_STATUSES[RUN_STATUSES.length - 1])) {
                line.append(',');
            }
        }
        return line.toString();
    }

    private static String rate(double delta, double seconds) {
        double perSecond = seconds <= 0 ? 0 : delta / seconds;
        return String.format(Locale.ROOT, perSecond >= 100 || perSecond == 0 ? "%,.0f" : "%,.1f", perSecond);
    }
}
