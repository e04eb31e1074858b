package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Server-Sent Events: per event {@code id: <seq>}, {@code event: <type>}, {@code data: <envelope>};
 * {@code caught_up} too, its id the stream's position (so a browser's {@code Last-Event-ID}
 * stays where the stream is). Each send is one write, which Vert.x flushes.
 */
final class SseSink implements StreamSink {
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "\nevent: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServerResponse response;
    private final StreamMetrics.Connection metrics;

    SseSink(HttpServerResponse response, StreamMetrics.Connection metrics) {
        this.response = response;
        this.metrics = metrics;
    }

    @Override
    public void send(List<RunEvent> events) {
        metrics.sent(events);
        Buffer out = Buffer.buffer(events.size() * 300);
        for (RunEvent event : events) {
            out.appendBytes(ID).appendString(Long.toString(event.seq()))
                    .appendBytes(EVENT).appendString(event.type().wire())
                    .appendBytes(DATA).appendBytes(event.json()).appendBytes(END);
        }
        response.write(out);
    }

    @Override
    public void flush() {
        // each write is flushed by Vert.x's response
    }

    @Override
    public void control(String type, byte[] json) {
        response.write(Buffer.buffer("event: " + type + "\ndata: ").appendBytes(json).appendBytes(END));
    }

    @Override
    public void caughtUp(byte[] json, long position) {
        response.write(Buffer.buffer("id: " + position + "\nevent: caught_up\ndata: ").appendBytes(json).appendBytes(END));
    }

    @Override
    public boolean caughtUpAfterRunComplete() {
        return false;
    }

    /** A comment line, which keeps proxies from cutting an idle stream. */
    void keepAlive() {
        response.write(": keep-alive\n\n");
    }

    @Override
    public boolean writeQueueFull() {
        return response.writeQueueFull();
    }

    @Override
    public void onDrain(Runnable drained) {
        metrics.stalled();
        response.drainHandler(ignored -> drained.run());
    }

    @Override
    public void close(CloseCode code, String reason) {
        if (response.ended() || response.closed()) {
            return;
        }
        metrics.closeSent(code.code());
        if (code == CloseCode.NORMAL) {
            response.end();
        } else if (code == CloseCode.GOING_AWAY) {
            // The server is stopping: a comment saying so, then the response's proper end (its
            // last chunk), so that a client sees a clean end rather than a cut transfer. An
            // EventSource reconnects after any end of a 200 response, with Last-Event-ID.
            response.end(Buffer.buffer(": server shutting down; reconnect with Last-Event-ID\n\n"));
        } else {
            response.reset(); // cut (a reader too far behind, an internal error): the client reconnects with Last-Event-ID
        }
    }
}
