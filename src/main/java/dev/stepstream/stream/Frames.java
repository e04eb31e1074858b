package dev.stepstream.stream;

import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;

/** WebSocket text frames over bytes that are already UTF-8 JSON. */
final class Frames {
    private Frames() {}

    /**
     * A final text frame that wraps {@code utf8} without copying, so that every connection
     * sends the same encoded envelope (DESIGN.md invariant 5). Vert.x offers text frames only
     * from a String (decoded and re-encoded per connection); this is its own frame class,
     * constructed as its public {@code binaryFrame} is. The stream tests pin the behaviour.
     */
    static WebSocketFrame text(byte[] utf8) {
        return new WebSocketFrameImpl(WebSocketFrameType.TEXT, utf8, true);
    }
}
