package dev.stepstream.api;

import dev.stepstream.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/** A finished response, computed off the event loop and sent on it. */
record Reply(int status, byte[] body, String location, String contentType) {
    private static final String JSON = "application/json; charset=utf-8";

    static Reply json(int status, Object body) {
        return new Reply(status, Json.bytes(body), null, JSON);
    }

    static Reply rawJson(int status, byte[] body) {
        return new Reply(status, body, null, JSON);
    }

    /** A body that is not JSON (the Prometheus text exposition). */
    static Reply bytes(int status, String contentType, byte[] body) {
        return new Reply(status, body, null, contentType);
    }

    static Reply noContent() {
        return new Reply(204, null, null, null);
    }

    static Reply error(ApiError error) {
        return new Reply(error.status(), error.body(), null, JSON);
    }

    Reply withLocation(String location) {
        return new Reply(status, body, location, contentType);
    }

    void send(RoutingContext ctx) {
        var response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status);
        if (location != null) {
            response.putHeader("Location", location);
        }
        if (body == null) {
            response.end();
        } else {
            response.putHeader("Content-Type", contentType);
            response.end(Buffer.buffer(body));
        }
    }
}
