package dev.stepstream.api;

import dev.stepstream.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/** A finished response, computed off the event loop and sent on it. */
record Reply(int status, byte[] body, String location) {
    static Reply json(int status, Object body) {
        return new Reply(status, Json.bytes(body), null);
    }

    static Reply rawJson(int status, byte[] body) {
        return new Reply(status, body, null);
    }

    static Reply noContent() {
        return new Reply(204, null, null);
    }

    static Reply error(ApiError error) {
        return new Reply(error.status(), error.body(), null);
    }

    Reply withLocation(String location) {
        return new Reply(status, body, location);
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
            response.putHeader("Content-Type", "application/json; charset=utf-8");
            response.end(Buffer.buffer(body));
        }
    }
}
