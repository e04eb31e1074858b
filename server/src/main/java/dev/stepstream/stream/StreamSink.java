package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import java.util.List;

/**
 * Where a subscriber writes: a WebSocket or an SSE response. Called only on the connection's
 * event loop. Implementations write the events' stored bytes as they are (encode once).
 */
interface StreamSink {
    /**
     * Writes events, in order (one frame each, or batched, as the connection asked); they may
     * wait in the connection's buffer until {@link #flush}.
     */
    void send(List<RunEvent> events);

    /** Sends what {@link #send} wrote: once per turn of the subscriber, not once per send. */
    void flush();

    /** Writes a control message ({@code caught_up}, {@code pong}) of the given type, after what was sent. */
    void control(String type, byte[] json);

    /**
     * Writes {@code caught_up}; {@code position} is the last seq the stream has passed (sent, or
     * left out by its filters, or its {@code after}): where a reconnect resumes.
     */
    default void caughtUp(byte[] json, long position) {
        control("caught_up", json);
    }

    /**
     * Whether {@code caught_up} is still sent when the run_complete has already been sent.
     * SSE says no: its stream ends with run_complete, and every event it carries has an id.
     */
    default boolean caughtUpAfterRunComplete() {
        return true;
    }

    /** True while the connection's write queue is over its limit: write nothing more until drained. */
    boolean writeQueueFull();

    /** Calls {@code drained} once the write queue has room again. */
    void onDrain(Runnable drained);

    /** Ends the stream: a close frame with the code for a WebSocket, the end of the response for SSE. */
    void close(CloseCode code, String reason);
}
