package dev.stepstream.stream;

import dev.stepstream.metrics.StreamMetrics;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;

/**
 * A dashboard on the all-runs stream: a cursor over the {@link RunFeed}, starting at its end
 * (no history). Like {@link Subscriber} it owns no queue; one that falls a whole ring behind
 * is closed with 1013. Threads as in {@link Pump}: event loop, except {@link #wake}.
 */
final class FeedSubscriber extends Pump {
    private static final int MAX_ITEMS_PER_TURN = 1024;

    private final Hub hub;
    private final RunFeed feed;
    private final ServerWebSocket socket;
    private final String workflowId; // null: every workflow
    private final StreamMetrics.Connection metrics;

    private long cursor;

    FeedSubscriber(Hub hub, RunFeed feed, ServerWebSocket socket, String workflowId, Context context, long writeTimeoutMs,
                   StreamMetrics.Connection metrics) {
        super(context, writeTimeoutMs);
        this.hub = hub;
        this.feed = feed;
        this.socket = socket;
        this.workflowId = workflowId;
        this.metrics = metrics;
        this.cursor = feed.lastSeq();
    }

    @Override
    void pump() {
        if (paused()) {
            return;
        }
        for (int written = 0; written < MAX_ITEMS_PER_TURN && cursor < feed.lastSeq(); ) {
            if (socket.writeQueueFull()) {
                awaitDrain();
                return;
            }
            RunFeed.Item item = feed.at(cursor + 1);
            if (item == null) {
                close(CloseCode.TRY_AGAIN, "fell behind the run feed; list runs again and reconnect");
                return;
            }
            cursor = item.feedSeq();
            if (workflowId == null || workflowId.equals(item.workflowId())) {
                socket.writeFrame(Frames.text(item.json()));
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
        socket.drainHandler(ignored -> drained.run());
    }

    @Override
    void sendClose(CloseCode code, String reason) {
        if (!socket.isClosed()) {
            metrics.closeSent(code.code());
            socket.close(code.code(), reason);
        }
    }

    @Override
    void unsubscribe() {
        hub.unsubscribe(this);
    }
}
