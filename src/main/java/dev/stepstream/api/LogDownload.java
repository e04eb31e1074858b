package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.Store;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v2/workflows/runs/{runId}/log} (docs/api.md, "A run's log as text"): the run's
 * {@code step_log} events as plain text, one line each, {@code <time> <stepId> <LEVEL> <message>},
 * a message's further lines indented by two spaces.
 *
 * <p>Constant memory whatever the run's size: the events are read from the store a page at a
 * time on a virtual thread ({@link Blocking}), formatted there, and written to the response
 * (chunked) on its event loop; the next page is read only once the response's write queue has
 * drained, so a slow reader holds one page, and never a thread. The log ends at the run's last
 * seq when the request came: a running run's log is what was stored by then.
 *
 * <p>Threads: a download's state ({@link Download}) is touched by one thread at a time, in turn
 * the virtual thread that reads a page and the event loop that writes it, each handing over to
 * the other through {@link Context#runOnContext} or the worker executor (which order the memory).
 */
final class LogDownload {
    /** Events read per page: a page of step_logs at their largest (16 KiB each) is 8 MiB. */
    static final int PAGE_EVENTS = 500;
    private static final Pattern LINE_BREAK = Pattern.compile("\r?\n");

    private final Store store;
    private final Blocking blocking;

    LogDownload(Store store, Blocking blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    /** What was asked for: the run, its filters, and the seq the log ends at. */
    private record Asked(UUID runId, LogLevel minLevel, Set<String> steps) {}

    /** One page, formatted: its text, the last seq read, and whether the log ends with it. */
    private record Page(byte[] text, long lastSeq, boolean last) {}

    void handle(RoutingContext ctx) {
        Asked asked = new Asked(Params.runId(ctx), Params.minLevel(Params.single(ctx, "minLevel")),
                Params.steps(Params.single(ctx, "steps")));
        blocking.begin(ctx, () -> {
            Long end = store.lastSeqs(List.of(asked.runId())).get(asked.runId());
            if (end == null) {
                throw new ApiError(404, "run_not_found", "no run " + asked.runId() + " exists");
            }
            return new Download(ctx, asked, end, read(asked, 0, end));
        }, Download::start);
    }

    /** The page of events after {@code after}, up to {@code end}, as text. On a virtual thread. */
    private Page read(Asked asked, long after, long end) {
        if (after >= end) {
            return new Page(new byte[0], after, true);
        }
        List<RunEvent> events = store.events(asked.runId(), after, PAGE_EVENTS);
        StringBuilder text = new StringBuilder();
        long lastSeq = after;
        for (RunEvent event : events) {
            if (event.seq() > end) {
                break;
            }
            lastSeq = event.seq();
            if (event.type() == EventType.STEP_LOG) {
                appendLine(text, event, asked);
            }
        }
        boolean last = events.size() < PAGE_EVENTS || lastSeq >= end;
        return new Page(text.toString().getBytes(StandardCharsets.UTF_8), lastSeq, last);
    }

    /** {@code <time> <stepId> <LEVEL> <message>}, if the filters let it through; each further line of the message after two spaces. */
    private static void appendLine(StringBuilder text, RunEvent event, Asked asked) {
        JsonNode payload = event.payload();
        String stepId = payload.path("stepId").asText();
        String level = payload.path("level").asText();
        if ((asked.steps() != null && !asked.steps().contains(stepId)) || !atLeast(level, asked.minLevel())) {
            return;
        }
        text.append(Json.time(event.time())).append(' ').append(stepId).append(' ')
                .append(level.toUpperCase(Locale.ROOT)).append(' ');
        String[] lines = LINE_BREAK.split(payload.path("message").asText(), -1);
        text.append(lines[0]).append('\n');
        for (int i = 1; i < lines.length; i++) {
            text.append("  ").append(lines[i]).append('\n');
        }
    }

    /** As the run stream's filter compares levels: a level it does not know passes. */
    private static boolean atLeast(String level, LogLevel minLevel) {
        if (minLevel == LogLevel.DEBUG) {
            return true;
        }
        try {
            return LogLevel.fromWire(level).compareTo(minLevel) >= 0;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** One download in progress: writes a page, waits for the response to drain, reads the next. */
    private final class Download {
        private final RoutingContext ctx;
        private final Asked asked;
        private final long end;
        private Page page;
        private Context context;

        Download(RoutingContext ctx, Asked asked, long end, Page first) {
            this.ctx = ctx;
            this.asked = asked;
            this.end = end;
            this.page = first;
        }

        /** On the event loop: the headers, then the first page. */
        void start() {
            context = Vertx.currentContext();
            HttpServerResponse response = ctx.response();
            if (response.ended() || response.closed()) {
                return;
            }
            response.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/plain; charset=utf-8")
                    .putHeader("Content-Disposition", "attachment; filename=\"" + asked.runId() + ".log\"")
                    .putHeader("X-Content-Type-Options", "nosniff");
            write();
        }

        /** On the event loop: writes the page read, then ends, or reads the next once the response can take it. */
        private void write() {
            HttpServerResponse response = ctx.response();
            if (response.closed()) {
                return; // the client left: nothing more is read
            }
            Page written = page;
            if (written.last()) {
                response.end(Buffer.buffer(written.text()));
                return;
            }
            if (written.text().length > 0) {
                response.write(Buffer.buffer(written.text()));
            }
            if (response.writeQueueFull()) {
                response.drainHandler(ignored -> {
                    response.drainHandler(null);
                    readNext(written.lastSeq());
                });
            } else {
                readNext(written.lastSeq());
            }
        }

        private void readNext(long after) {
            if (ctx.response().closed()) {
                return;
            }
            blocking.next(context, () -> read(asked, after, end), (next, failure) -> {
                if (failure != null) {
                    // The status has gone: the only way left to say "not all of it" is to cut
                    // the response (no last chunk), which a client reads as a failed transfer.
                    ctx.response().reset();
                    return;
                }
                page = next;
                write();
            });
        }
    }
}
