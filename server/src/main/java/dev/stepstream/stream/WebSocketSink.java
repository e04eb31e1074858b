package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * A WebSocket: one envelope per text frame, or with {@code batch=1} all the events of a send
 * in one frame, one envelope per line. Each send is one buffer, written without a flush; the
 * subscriber flushes once per turn.
 */
final class WebSocketSink implements StreamSink {
    private final StreamSocket writer;
    private final boolean batch;
    private final StreamMetrics.Connection metrics;

    WebSocketSink(StreamSocket writer, boolean batch, StreamMetrics.Connection metrics) {
        this.writer = writer;
        this.batch = batch;
        this.metrics = metrics;
    }

    @Override
    public void send(List<RunEvent> events) {
        metrics.sent(events);
        ByteBuf frames;
        if (batch) {
            int payload = Frames.linesLength(events);
            frames = writer.buffer(Frames.frameLength(payload));
            Frames.writeLines(frames, events, payload);
        } else {
            frames = writer.buffer(Frames.eachLength(events));
            Frames.writeEach(frames, events);
        }
        writer.write(frames);
    }

    @Override
    public void flush() {
        writer.flush();
    }

    /** On the same path as the events, so that {@code caught_up} keeps its place among them. */
    @Override
    public void control(String type, byte[] json) {
        ByteBuf frame = writer.buffer(Frames.frameLength(json.length));
        Frames.writeText(frame, json);
        writer.write(frame);
    }

    @Override
    public boolean writeQueueFull() {
        return !writer.writable();
    }

    @Override
    public void onDrain(Runnable drained) {
        metrics.stalled();
        writer.onWritable(drained);
    }

    @Override
    public void close(CloseCode code, String reason) {
        if (writer.open()) {
            metrics.closeSent(code.code());
            writer.close(code, reason);
        }
    }
}
