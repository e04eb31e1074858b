package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.EventPage;
import dev.stepstream.store.Store;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
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
    /**
     * A page: up to {@value #PAGE_EVENTS} events, stopping at the one with which their envelopes
     * reach {@value #PAGE_BYTES} bytes ({@link Store#eventsWithin}). A page of small lines is
     * read in one query; one of messages at their largest (16 KiB, more once escaped) holds
     * about as much, whatever the run's size.
     */
    static final int PAGE_EVENTS = 1000;
    static final int PAGE_BYTES = 256 * 1024;
    private static final Pattern LINE_BREAK = Pattern.compile("\r?\n");

    private final Store store;
    private final Blocking blocking;

    LogDownload(Store store, Blocking blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    /** What was asked for: the run and its filters. */
    private record Asked(UUID runId, EventFilter filter) {}

    /** One page, formatted: its text, the last seq read, and whether the log ends with it. */
    private record Page(Buffer text, long lastSeq, boolean last) {}

    void handle(RoutingContext ctx) {
        Asked asked = new Asked(Params.runId(ctx), new EventFilter(EnumSet.of(EventType.STEP_LOG),
                Params.minLevel(Params.single(ctx, "minLevel")), Params.steps(Params.single(ctx, "steps")), null));
        blocking.begin(ctx, () -> {
            Long end = store.lastSeqs(List.of(asked.runId())).get(asked.runId());
            if (end == null) {
                throw new ApiError(404, "run_not_found", "no run " + asked.runId() + " exists");
            }
            return new Download(ctx, asked, end, read(asked, 0, end));
        }, Download::start);
    }

    /** The page after {@code after}, up to {@code end}, as text. On a virtual thread. */
    private Page read(Asked asked, long after, long end) {
        if (after >= end) {
            return new Page(Buffer.buffer(), after, true);
        }
        EventPage events = store.eventsWithin(asked.runId(), after, PAGE_EVENTS, PAGE_BYTES);
        // Looked up after the read, as the history's pages are: once the run is deleted its log
        // is cut (no last chunk), never ended as if it were whole.
        if (store.findPosition(asked.runId()).isEmpty()) {
            throw new ApiError(404, "run_not_found", "run " + asked.runId() + " was deleted during the download");
        }
        Buffer text = Buffer.buffer();
        long lastSeq = after;
        for (RunEvent event : events.events()) {
            if (event.seq() > end) {
                break;
            }
            lastSeq = event.seq();
            if (event.type() == EventType.STEP_LOG) {
                appendLine(text, event, asked);
            }
        }
        return new Page(text, lastSeq, !events.more() || lastSeq >= end);
    }

    /** {@code <time> <stepId> <LEVEL> <message>}, if the filters let it through; each further line of the message after two spaces. */
    private static void appendLine(Buffer text, RunEvent event, Asked asked) {
        // Parsed here rather than by event.payload(), which would keep the tree in the event
        // (and so every tree of the page) until the page is done.
        JsonNode payload = Json.parseTrusted(event.json()).path("payload");
        if (!asked.filter().accepts(event.type(), payload)) {
            return;
        }
        String stepId = payload.path("stepId").asText();
        String level = payload.path("level").asText();
        String[] lines = LINE_BREAK.split(payload.path("message").asText(), -1);
        text.appendString(Json.time(event.time()) + " " + stepId + " " + level.toUpperCase(Locale.ROOT) + " ")
                .appendString(lines[0]).appendByte((byte) '\n');
        for (int i = 1; i < lines.length; i++) {
            text.appendString("  ").appendString(lines[i]).appendByte((byte) '\n');
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
            if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
                response.end(); // its head alone: the rest of the log is not read for a body nobody gets
                return;
            }
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
                response.end(written.text());
                return;
            }
            if (written.text().length() > 0) {
                response.write(written.text());
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
