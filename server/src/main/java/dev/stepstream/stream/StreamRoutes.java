package dev.stepstream.stream;

import dev.stepstream.api.ApiError;
import dev.stepstream.api.Params;
import dev.stepstream.api.Who;
import dev.stepstream.events.EventFilter;
import dev.stepstream.metrics.StreamMetrics;
import dev.stepstream.security.StreamGate;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The stream endpoints of docs/api.md: the run stream (WebSocket), its SSE form on the events
 * route, and the all-runs stream. Parameters are checked and the run looked up before the
 * upgrade, so that a refusal is a plain HTTP error with the JSON error body. Vert.x serves a
 * WebSocket request up to the upgrade (routing, the security guard, the checks); then the
 * stream takes the connection over ({@link Upgrade}) and is served by a {@link StreamSocket}.
 */
public final class StreamRoutes implements AutoCloseable {
    private final Hub hub;
    private final History history;
    private final StreamSettings timings;
    /** Connection caps, and the end of a stream whose credentials end (docs/security.md). */
    private final StreamGate gate;
    private final StreamMetrics metrics;
    /** Pings, idle closes and close handshakes of every stream socket: one clock per event loop. */
    private final Heartbeats heartbeats;

    public StreamRoutes(Hub hub, Store store, StreamSettings timings, StreamGate gate, StreamMetrics metrics, Clock clock) {
        VertxInternals.check(); // before the server listens: fails naming the Vert.x version if they changed
        this.hub = hub;
        this.metrics = metrics;
        this.history = new History(store, metrics);
        hub.forgetHistoryWith(history::forget);
        metrics.historyKept(history::keptBytes);
        this.timings = timings;
        this.gate = gate;
        this.heartbeats = new Heartbeats(timings, clock);
    }

    private void checkOpen() {
        if (hub.closing()) {
            throw new ApiError(503, "shutting_down", "the server is shutting down; reconnect with after");
        }
    }

    /** Mounts the routes; call before the REST routes, whose events route serves JSON. */
    public void mount(Router router) {
        router.get("/api/v2/workflows/runs/:runId/stream").handler(this::runStream);
        router.get("/api/v2/workflows/runs/:runId/events").handler(ctx -> {
            String accept = ctx.request().getHeader("Accept");
            // A HEAD gets the JSON page's head: an event stream's would hold the connection for no body.
            if (accept != null && accept.contains("text/event-stream") && ctx.request().method() == io.vertx.core.http.HttpMethod.GET) {
                sse(ctx);
            } else {
                ctx.next();
            }
        });
        router.get("/api/v2/stream").handler(this::allRuns);
    }

    /** What a run stream was asked for. */
    private record Request(UUID runId, long after, EventFilter filter, boolean batch) {}

    private Request parse(RoutingContext ctx, long after) {
        UUID runId = Params.runId(ctx);
        EventFilter filter = Params.eventFilter(ctx);
        String batch = Params.single(ctx, "batch");
        if (batch != null && !batch.equals("0") && !batch.equals("1")) {
            throw ApiError.badParameter("batch", "expected 0 or 1, got \"" + Params.abbreviate(batch) + "\"");
        }
        return new Request(runId, after, filter, "1".equals(batch));
    }

    private void runStream(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Request asked = parse(ctx, Params.longParam(ctx, "after", 0, 0, Long.MAX_VALUE));
        beforeUpgrade(ctx, " (or read the events with GET /api/v2/workflows/runs/" + asked.runId() + "/events)");
        StreamGate.Pass pass = admit(ctx, asked.runId());
        request.pause();
        Upgrade upgrade = Upgrade.hold(request);
        lookUp(ctx, asked, run -> {
            StreamSocket socket = upgrade.accept(heartbeats, pass);
            hub.opened();
            if (socket == null) {
                pass.release(); // the client left while the run was looked up
                return;
            }
            Context context = loopContext();
            StreamMetrics.Connection measured = opened(StreamMetrics.Kind.RUN_WEBSOCKET, ctx, asked.after() > 0);
            WebSocketSink sink = new WebSocketSink(socket, asked.batch(), measured);
            Subscriber subscriber = hub.subscribe(asked.runId(), topic -> new Subscriber(hub, topic, history, sink,
                    asked.filter(), context, asked.after(), run.lastSeq(), ended(run, asked.after()), timings.writeTimeout().toMillis()));
            attach(socket, subscriber, pass, measured);
        }, () -> {
            pass.release();
            hub.opened();
            upgrade.refused(ctx);
        });
    }

    /**
     * The event loop's own context, not the request's duplicate of it (which lives as long as a
     * stream that keeps it: 24 bytes each, for what the loop's context does as well).
     */
    private static Context loopContext() {
        return VertxInternals.loopContext(Vertx.currentContext());
    }

    /** Counts the stream in (429/503 past the caps); a refusal here also ends the hub's "opening" count. */
    private StreamGate.Pass admit(RoutingContext ctx, UUID runId) {
        try {
            return gate.admit(ctx, runId);
        } catch (ApiError e) {
            hub.opened();
            throw e;
        }
    }

    /**
     * The checks both WebSocket endpoints make before the upgrade, in order: that it is an
     * upgrade at all, the handshake's headers, that the server is not shutting down. (The origin
     * and host rules, for every stream, WebSocket or SSE, are the security guard's, which ran
     * before.) On success the request counts as opening until {@link Hub#opened}.
     */
    private void beforeUpgrade(RoutingContext ctx, String hint) {
        HttpServerRequest request = ctx.request();
        if (!request.canUpgradeToWebSocket()) {
            throw new ApiError(426, "upgrade_required", "this endpoint is a WebSocket; connect with a WebSocket client" + hint);
        }
        Upgrade.check(ctx);
        checkOpen();
        hub.opening();
    }

    /**
     * Wires a socket to its stream: the socket's requests to close (idle, bad input), the end of
     * the connection, the close with 1008 when the credentials end, and a close with 1001 if the
     * server began shutting down while it was being opened; otherwise starts the stream writing.
     * Then starts the socket, which sends the 101 with the stream's first frames.
     */
    private void attach(StreamSocket socket, Pump connection, StreamGate.Pass pass, StreamMetrics.Connection measured) {
        StreamSocket.Events events = new StreamSocket.Events() {
            @Override
            public void closeRequested(CloseCode code, String reason) {
                connection.close(code, reason);
            }

            @Override
            public void ended(Integer clientCode) {
                pass.release(); // gives back the connection's place in --max-connections too
                connection.closed();
                measured.gone(clientCode);
            }
        };
        pass.onCredentialsEnd(connection.context(), () -> connection.close(CloseCode.POLICY,
                "the token expired or was revoked; reconnect with a valid token and after"));
        if (hub.closing()) {
            connection.close(CloseCode.GOING_AWAY, "server shutting down; reconnect with after");
        } else {
            connection.pump();
        }
        socket.start(events);
    }

    /**
     * Counts a stream that just opened and starts its log line: who (the client's address, and
     * its principal once authentication sets one) and what (the request, redacted).
     */
    private StreamMetrics.Connection opened(StreamMetrics.Kind kind, RoutingContext ctx, boolean resumed) {
        HttpServerRequest request = ctx.request();
        String protocols = request.getHeader("Sec-WebSocket-Protocol");
        String what = request.method() + " " + request.uri() + (protocols == null ? "" : " (protocols " + protocols + ")");
        return metrics.opened(kind, Who.of(ctx), what, resumed);
    }

    private static boolean ended(RunPosition run, long after) {
        return run.status().isTerminal() && after >= run.lastSeq();
    }

    /**
     * Looks the run up (in its topic if it is followed here and that can tell, else the store,
     * off the event loop) and continues on the loop; answers 404 if there is no
     * such run, and 400 for an {@code after} beyond its last event: a client can only have seen
     * committed events, and a stream from there would wait for events that may never exist.
     */
    private void lookUp(RoutingContext ctx, Request asked, java.util.function.Consumer<RunPosition> found, Runnable refused) {
        Context context = Vertx.currentContext();
        // A followed run's topic may know where its log stands (as the store did since it was
        // followed): then no store read, and no virtual thread, for this stream (a reconnect storm's).
        RunPosition known = hub.knownPosition(asked.runId(), asked.after());
        CompletableFuture<Optional<RunPosition>> position =
                known != null ? CompletableFuture.completedFuture(Optional.of(known)) : history.position(asked.runId());
        position.whenComplete((run, failure) -> context.runOnContext(ignored -> {
            try {
                if (failure != null) {
                    throw failure instanceof RuntimeException e ? e : new IllegalStateException(failure);
                } else if (run.isEmpty()) {
                    throw new ApiError(404, "run_not_found", "no run " + asked.runId() + " exists");
                }
                Params.checkAfter(asked.runId(), asked.after(), run.get().lastSeq());
                found.accept(run.get());
            } catch (RuntimeException e) {
                refused.run();
                ctx.fail(e);
            }
        }));
    }

    private void sse(RoutingContext ctx) {
        long after = Params.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
        String lastEventId = ctx.request().getHeader("Last-Event-ID");
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                after = Long.parseLong(lastEventId.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badParameter("Last-Event-ID", "expected a seq, got \"" + Params.abbreviate(lastEventId) + "\"");
            }
            if (after < 0) {
                throw ApiError.badParameter("Last-Event-ID", "expected a seq of 0 or more");
            }
        }
        Request asked = parse(ctx, after);
        checkOpen();
        StreamGate.Pass pass = gate.admit(ctx, asked.runId());
        lookUp(ctx, asked, run -> {
            HttpServerResponse response = ctx.response();
            if (response.closed()) {
                pass.release(); // the client left while the run was looked up
                return;
            }
            if (ended(run, asked.after())) {
                // Nothing will ever follow: 204 tells an EventSource to stop reconnecting.
                pass.release();
                response.setStatusCode(204).end();
                return;
            }
            response.setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            Context context = Vertx.currentContext();
            StreamMetrics.Connection measured = opened(StreamMetrics.Kind.RUN_SSE, ctx, asked.after() > 0);
            SseSink sink = new SseSink(response, measured);
            Subscriber subscriber = hub.subscribe(asked.runId(), topic -> new Subscriber(hub, topic, history, sink,
                    asked.filter(), context, asked.after(), run.lastSeq(), false, timings.writeTimeout().toMillis()));
            long keepAlive = context.owner().setPeriodic(timings.sseKeepAlive().toMillis(), ignored -> {
                if (!response.ended() && !response.closed() && !response.writeQueueFull()) {
                    sink.keepAlive();
                }
            });
            Runnable stop = () -> {
                context.owner().cancelTimer(keepAlive);
                pass.release();
                subscriber.closed();
                measured.gone(null);
            };
            // An event stream has no close code: at the token's end the response simply ends.
            pass.onCredentialsEnd(context, () -> {
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            });
            response.closeHandler(ignored -> stop.run());
            response.endHandler(ignored -> stop.run());
            response.writeHead();
            subscriber.pump();
        }, pass::release);
    }

    private void allRuns(RoutingContext ctx) {
        String workflowId = Params.workflowIdQuery(ctx);
        beforeUpgrade(ctx, "");
        StreamGate.Pass pass = admit(ctx, null);
        StreamSocket socket = Upgrade.hold(ctx.request()).accept(heartbeats, pass);
        hub.opened();
        if (socket == null) {
            pass.release();
            return;
        }
        StreamMetrics.Connection measured = opened(StreamMetrics.Kind.ALL_RUNS, ctx, false);
        FeedSubscriber subscriber = new FeedSubscriber(hub, hub.feed(), socket, workflowId, loopContext(),
                timings.writeTimeout().toMillis(), measured);
        hub.subscribe(subscriber);
        attach(socket, subscriber, pass, measured);
    }

    @Override
    public void close() {
        heartbeats.close();
        history.close();
    }
}
