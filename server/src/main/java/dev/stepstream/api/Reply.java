package dev.stepstream.api;

import dev.stepstream.json.Json;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished response, computed off the event loop and sent on it.
 *
 * @param headers besides Content-Type ({@code Location}, {@code WWW-Authenticate})
 * @param refused the reason the request is refused for, as the security edge would mark it
 *                ({@link AccessLog#refused}), when a route decides a refusal itself (a webhook's
 *                signature); else null
 */
record Reply(int status, byte[] body, Map<String, String> headers, String contentType, String refused) {
    private static final String JSON = "application/json; charset=utf-8";

    static Reply json(int status, Object body) {
        return new Reply(status, Json.bytes(body), Map.of(), JSON, null);
    }

    static Reply rawJson(int status, byte[] body) {
        return new Reply(status, body, Map.of(), JSON, null);
    }

    /** A body that is not JSON (the Prometheus text exposition). */
    static Reply bytes(int status, String contentType, byte[] body) {
        return new Reply(status, body, Map.of(), contentType, null);
    }

    static Reply noContent() {
        return new Reply(204, null, Map.of(), null, null);
    }

    static Reply error(ApiError error) {
        Map<String, String> headers = error.retryAfterSeconds() > 0
                ? Map.of("Retry-After", Long.toString(error.retryAfterSeconds())) : Map.of();
        return new Reply(error.status(), error.body(), headers, JSON, null);
    }

    Reply withLocation(String location) {
        return withHeader("Location", location);
    }

    Reply withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Reply(status, body, Map.copyOf(more), contentType, refused);
    }

    /** This reply, logged and counted as a refusal for {@code reason} (an error code). */
    Reply refusedFor(String reason) {
        return new Reply(status, body, headers, contentType, reason);
    }

    /** Sends it; the future completes once it is written out (or the connection has gone). */
    Future<Void> send(RoutingContext ctx) {
        var response = ctx.response();
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        if (refused != null) {
            AccessLog.refused(ctx, refused);
        }
        response.setStatusCode(status);
        headers.forEach(response::putHeader);
        if (body == null) {
            return response.end();
        }
        response.putHeader("Content-Type", contentType);
        // The access log waits for the writing out, which the end of the response is not.
        io.vertx.core.Promise<Void> delivered = io.vertx.core.Promise.promise();
        AccessLog.delivering(ctx, delivered.future());
        Future<Void> written = response.end(Buffer.buffer(body));
        written.onComplete(delivered);
        return written;
    }
}
