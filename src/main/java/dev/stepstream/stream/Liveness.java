package dev.stepstream.stream;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;

/**
 * Keeps a WebSocket honest (API.md "Liveness and closing"): a ping frame every
 * {@code pingIntervalMs}, and a close when nothing (message or pong) arrived for
 * {@code idleTimeoutMs}. One timer per connection, ticking at a quarter of the shorter period.
 * Event loop only.
 */
final class Liveness {
    private final Vertx vertx;
    private final ServerWebSocket socket;
    private final long pingIntervalMs;
    private final long idleTimeoutMs;
    private final Runnable onIdle;
    private long lastReceived = System.nanoTime();
    private long lastPing = System.nanoTime();
    private final long timer;

    Liveness(Vertx vertx, ServerWebSocket socket, long pingIntervalMs, long idleTimeoutMs, Runnable onIdle) {
        this.vertx = vertx;
        this.socket = socket;
        this.pingIntervalMs = pingIntervalMs;
        this.idleTimeoutMs = idleTimeoutMs;
        this.onIdle = onIdle;
        long tick = Math.max(10, Math.min(pingIntervalMs, idleTimeoutMs) / 4);
        this.timer = vertx.setPeriodic(tick, ignored -> tick());
        socket.pongHandler(ignored -> received());
    }

    /** Something arrived from the client. */
    void received() {
        lastReceived = System.nanoTime();
    }

    private void tick() {
        long now = System.nanoTime();
        if ((now - lastReceived) / 1_000_000 >= idleTimeoutMs) {
            stop();
            onIdle.run();
            return;
        }
        if ((now - lastPing) / 1_000_000 >= pingIntervalMs) {
            lastPing = now;
            socket.writePing(Buffer.buffer());
        }
    }

    void stop() {
        vertx.cancelTimer(timer);
    }
}
