package dev.stepstream.stream;

import dev.stepstream.metrics.StreamMetrics;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;

/**
 * A dashboard on the all-runs stream: a cursor over the {@link RunFeed}, starting at its end
 * (no history). Like {@link Subscriber} it owns no queue; one that falls a whole ring behind
 * is closed with 1013. Threads as in {@link Pump}: event loop, except {@link #wake}.
 */
final class FeedSubscriber extends Pump {
    private static final int MAX_ITEMS_PER_TURN = 1024;

    private final Hub hub;
    private final RunFeed feed;
    private final StreamSocket socket;
    private final String workflowId; // null: every workflow
    private final StreamMetrics.Connection metrics;

    private long cursor;

    FeedSubscriber(Hub hub, RunFeed feed, StreamSocket socket, String workflowId, Context context, long writeTimeoutMs,
                   StreamMetrics.Connection metrics) {
        super(context, writeTimeoutMs);
        this.hub = hub;
        this.feed = feed;
        this.socket = socket;
        this.workflowId = workflowId;
        this.metrics = metrics;
        this.cursor = feed.lastSeq();
    }

    /** Writes what the feed has past the cursor while the socket has room, and flushes once. */
    @Override
    void pump() {
        if (paused()) {
            return;
        }
        try {
            writeTurn();
        } finally {
            socket.flush();
        }
    }

    private void writeTurn() {
        for (int written = 0; written < MAX_ITEMS_PER_TURN && cursor < feed.lastSeq(); ) {
            if (!socket.writable()) {
                socket.flush(); // the socket may take it all at once
                if (!socket.writable()) {
                    awaitDrain();
                    return;
                }
            }
            RunFeed.Item item = feed.at(cursor + 1);
            if (item == null) {
                close(CloseCode.TRY_AGAIN, "fell behind the run feed; list runs again and reconnect");
                return;
            }
            cursor = item.feedSeq();
            if (workflowId == null || workflowId.equals(item.workflowId())) {
                ByteBuf frame = socket.buffer(Frames.frameLength(item.json().length));
                Frames.writeText(frame, item.json());
                socket.write(frame);
                metrics.sentItem(item.json().length);
                written++;
            }
        }
        if (cursor < feed.lastSeq()) {
            wake();
        }
    }

    @Override
    void onDrain(Runnable drained) {
        metrics.stalled();
        socket.onWritable(drained);
    }

    @Override
    void sendClose(CloseCode code, String reason) {
        if (socket.open()) {
            metrics.closeSent(code.code());
            socket.close(code, reason);
        }
    }

    @Override
    void unsubscribe() {
        hub.unsubscribe(this);
    }
}
