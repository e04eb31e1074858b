package dev.stepstream.api;

import dev.stepstream.logging.Redaction;
import dev.stepstream.metrics.HttpMetrics;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One log line per HTTP request (who, what, status, how long, bytes), on the logger
 * {@code stepstream.access}, and the request's sample in {@link HttpMetrics}; 499 when the
 * client went away before the answer, or before all of an answer sent by {@link Reply} reached
 * it: such an answer is logged once written out (or cut), with the time that took, since its
 * end is only its hand-over to the connection (a 4 MiB page to a slow client is not done then). Query strings are redacted ({@code access_token}), and
 * the values of the secrets defined are masked in the request line as everywhere else (a
 * webhook's inputs may come from its query); no header is logged. A stream logs its own line
 * when it ends (with its close code), so an upgraded WebSocket (101) or an SSE response is not
 * logged here.
 *
 * <p>Requests the security edge refuses (401, 429, 403, …) are logged like any other, with the
 * reason it gave ({@link #refused}), and counted by reason: an operator sees a brute-force
 * attempt, never the credentials it tried.
 */
public final class AccessLog {
    private static final Logger access = LoggerFactory.getLogger("stepstream.access");

    private static final int CLIENT_GONE = 499;
    /** The context key of the reason a request was refused with (the error's code). */
    private static final String REFUSED = "stepstream.refused";
    /** The context key of the answer's writing out, when its sender tells ({@link #delivering}). */
    private static final String DELIVERY = "stepstream.delivery";

    private final HttpMetrics metrics;
    /** Masks the secrets defined now (a volatile read, no store): called on the event loop. */
    private final java.util.function.UnaryOperator<String> secrets;

    /** @param secrets masks the values of the secrets defined now; must not block */
    public AccessLog(HttpMetrics metrics, java.util.function.UnaryOperator<String> secrets) {
        this.metrics = metrics;
        this.secrets = secrets;
    }

    /** Mount first, before the security guard, so that it sees every request, refused ones included. */
    public void mount(Router router) {
        router.route().handler(this::handle);
    }

    /**
     * Marks the request as refused by the security edge with {@code reason} (an error code of
     * docs/security.md, such as {@code invalid_token}): its log line says so, and
     * {@link HttpMetrics#refused} counts it. Call before the answer is sent.
     */
    public static void refused(RoutingContext ctx, String reason) {
        ctx.put(REFUSED, reason);
    }

    /**
     * Tells the log that the answer about to be ended is written out when {@code delivery}
     * completes, and cut short (the client gone) when it fails. Call before ending the response.
     */
    static void delivering(RoutingContext ctx, io.vertx.core.Future<Void> delivery) {
        ctx.put(DELIVERY, delivery);
    }

    private void handle(RoutingContext ctx) {
        long started = System.nanoTime();
        ctx.addEndHandler(ignored -> done(ctx, started));
        ctx.next();
    }

    private void done(RoutingContext ctx, long started) {
        io.vertx.core.Future<Void> delivery = ctx.get(DELIVERY);
        if (delivery != null && !delivery.isComplete()) {
            delivery.onComplete(ignored -> done(ctx, started));
            return;
        }
        long nanos = System.nanoTime() - started;
        // A client that went away before its answer was sent is logged as 499, as nginx does.
        boolean delivered = ctx.response().ended() && (delivery == null || delivery.succeeded());
        int status = delivered ? ctx.response().getStatusCode() : CLIENT_GONE;
        String contentType = ctx.response().headers().get("Content-Type");
        if (status == 101 || (contentType != null && contentType.startsWith("text/event-stream"))) {
            return;
        }
        String method = ctx.request().method().name();
        record(method, template(ctx.currentRoute()), Who.of(ctx), requestLine(method, ctx.request().uri()), status, nanos,
                ctx.response().bytesWritten(), ctx.get(REFUSED));
    }

    /**
     * Logs and counts a request that the HTTP decoder could not read (a line or head too long,
     * one that is not HTTP/1.1), which never reaches the router: refused with {@code reason}. Its
     * request line is logged cut short (the decoder may hold 8 KiB of it) and redacted.
     */
    public void undecodable(HttpServerRequest request, int status, String reason, long nanos) {
        String method = request.method() == null ? "-" : request.method().name();
        record(method, null, Who.address(request), Params.abbreviate(requestLine(method, request.uri())), status, nanos,
                request.response().bytesWritten(), reason);
    }

    /** The request line as logged: tokens redacted, the secrets defined masked (before any cut: no part of one shows). */
    private String requestLine(String method, String uri) {
        return secrets.apply(Redaction.text(method + " " + uri));
    }

    /** The request's sample in the metrics and its log line; {@code refused} the reason it was refused for, or null. */
    private void record(String method, String template, String who, String what, int status, long nanos, long bytes, String refused) {
        metrics.request(method, template, status, nanos);
        long millis = nanos / 1_000_000;
        LoggingEventBuilder line = access.atInfo()
                .addKeyValue("kind", "http")
                .addKeyValue("client", who)
                .addKeyValue("request", what)
                .addKeyValue("status", status)
                .addKeyValue("durationMs", millis)
                .addKeyValue("bytes", bytes);
        if (refused == null) {
            line.log("{} {} {} {} ms, {} bytes", who, what, status, millis, bytes);
        } else {
            metrics.refused(refused);
            line.addKeyValue("refused", refused).log("{} {} {} {} ms, {} bytes, refused: {}", who, what, status, millis, bytes, refused);
        }
    }

    /** The route's path template as OpenAPI spells it ({@code /runs/{runId}}), or null. */
    static String template(Route route) {
        if (route == null || route.getPath() == null) {
            return null;
        }
        return route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
    }
}
