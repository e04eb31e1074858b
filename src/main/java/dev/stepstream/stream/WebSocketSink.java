package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;

/**
 * A WebSocket: one envelope per text frame, or with {@code batch=1} all the events of a send
 * in one frame, one envelope per line (no trailing newline, so splitting on {@code \n} gives
 * exactly the envelopes).
 */
final class WebSocketSink implements StreamSink {
    private final ServerWebSocket socket;
    private final boolean batch;
    private final StreamMetrics.Connection metrics;

    WebSocketSink(ServerWebSocket socket, boolean batch, StreamMetrics.Connection metrics) {
        this.socket = socket;
        this.batch = batch;
        this.metrics = metrics;
    }

    @Override
    public void send(List<RunEvent> events) {
        metrics.sent(events);
        if (!batch || events.size() == 1) {
            for (RunEvent event : events) {
                socket.writeFrame(Frames.text(event.json()));
            }
            return;
        }
        int size = events.size() - 1;
        for (RunEvent event : events) {
            size += event.json().length;
        }
        byte[] frame = new byte[size];
        int at = 0;
        for (RunEvent event : events) {
            if (at > 0) {
                frame[at++] = '\n';
            }
            System.arraycopy(event.json(), 0, frame, at, event.json().length);
            at += event.json().length;
        }
        socket.writeFrame(Frames.text(frame));
    }

    @Override
    public void control(String type, byte[] json) {
        socket.writeFrame(Frames.text(json));
    }

    @Override
    public boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    @Override
    public void onDrain(Runnable drained) {
        metrics.stalled();
        socket.drainHandler(ignored -> drained.run());
    }

    @Override
    public void close(CloseCode code, String reason) {
        if (!socket.isClosed()) {
            metrics.closeSent(code.code());
            socket.close(code.code(), reason);
        }
    }
}
