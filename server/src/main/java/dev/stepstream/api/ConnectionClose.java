package dev.stepstream.api;

import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * The one rule for an answer after which the connection may not carry another request (a body
 * refused before it was read, one that never arrived): on HTTP/1.x the answer says
 * {@code Connection: close}, so that a client does not put the connection back in its pool and
 * send its next request into the close. HTTP/2 forbids the header (a client fails the stream on
 * it); there the answer ends only its stream, and a close of the connection is a GOAWAY.
 */
public final class ConnectionClose {
    private ConnectionClose() {}

    /** Says {@code Connection: close} on the response if the request is HTTP/1.x; whether it did. Before the answer is sent. */
    public static boolean announce(RoutingContext ctx) {
        if (ctx.request().version() == HttpVersion.HTTP_2) {
            return false;
        }
        ctx.response().putHeader("Connection", "close");
        return true;
    }
}
