package dev.stepstream.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every TCP connection of the server: how many are open ({@code --max-connections}; a
 * connection made past the cap has its requests answered 503 and is closed), and how long a
 * request's head may take to arrive ({@code --request-timeout}): a client that connects and
 * trickles a request line or headers (slowloris) is disconnected when its time is up, whether
 * before its first request or between two requests of a kept-alive connection. Idle
 * connections are Vert.x's {@code idleTimeout}'s job.
 *
 * <p>Ownership: the open count is atomic; each connection's {@link State} is touched only on
 * that connection's event loop (Vert.x calls its handlers there).
 */
final class Connections {
    private final int max;
    private final long requestTimeoutMs;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<HttpConnection, State> states = new ConcurrentHashMap<>();

    /** One connection's state, on its event loop. */
    private static final class State {
        final boolean refused;
        long headTimer = -1;

        State(boolean refused) {
            this.refused = refused;
        }
    }

    Connections(int max, long requestTimeoutMs) {
        this.max = max;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /** A new connection (on its event loop). */
    void connected(HttpConnection connection) {
        State state = new State(open.incrementAndGet() > max);
        states.put(connection, state);
        Vertx vertx = io.vertx.core.Vertx.currentContext().owner();
        connection.closeHandler(ignored -> {
            open.decrementAndGet();
            State closed = states.remove(connection);
            if (closed != null && closed.headTimer != -1) {
                vertx.cancelTimer(closed.headTimer);
            }
        });
        armHeadTimer(vertx, connection, state);
    }

    private void armHeadTimer(Vertx vertx, HttpConnection connection, State state) {
        state.headTimer = vertx.setTimer(requestTimeoutMs, ignored -> {
            state.headTimer = -1;
            connection.close();
        });
    }

    /** Whether the request's connection was made past the cap. */
    boolean refused(HttpServerRequest request) {
        State state = states.get(request.connection());
        return state != null && state.refused;
    }

    /**
     * A request's head arrived (on its event loop): its connection's head timer stops, and on
     * HTTP/1.x starts again for the next request once this one's response has ended. On HTTP/2
     * the requests of a connection overlap; its frames are bounded by the HTTP/2 codec instead.
     */
    void requestStarted(io.vertx.ext.web.RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpConnection connection = request.connection();
        State state = states.get(connection);
        if (state == null) {
            return;
        }
        Vertx vertx = io.vertx.core.Vertx.currentContext().owner();
        if (state.headTimer != -1) {
            vertx.cancelTimer(state.headTimer);
            state.headTimer = -1;
        }
        if (request.version() != HttpVersion.HTTP_2) {
            // Through the routing context: a response has one endHandler, which Vert.x Web takes for its own list.
            ctx.addEndHandler(ended -> {
                if (ended.succeeded() && states.get(connection) == state && state.headTimer == -1) {
                    armHeadTimer(vertx, connection, state);
                }
            });
        }
    }

    /**
     * The stream layer took {@code connection} over from Vert.x (on its event loop): Vert.x will
     * not call its close handler, so its state is forgotten here (its head timer stopped) and the
     * caller calls {@link #takenOverClosed} once when it closes.
     *
     * @return whether the connection was open and counted (false: it closed already, and was counted out)
     */
    boolean takenOver(HttpConnection connection) {
        State state = states.remove(connection);
        if (state == null) {
            return false;
        }
        if (state.headTimer != -1) {
            io.vertx.core.Vertx.currentContext().owner().cancelTimer(state.headTimer);
            state.headTimer = -1;
        }
        return true;
    }

    /** A connection {@link #takenOver taken over} closed: counts it out. Any thread. */
    void takenOverClosed() {
        open.decrementAndGet();
    }

    long requestTimeoutMs() {
        return requestTimeoutMs;
    }

    int open() {
        return open.get();
    }
}
