package dev.stepstream.stream;

import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A dashboard on the all-runs stream: a cursor over the {@link RunFeed}, starting at its end
 * (no history). Like {@link Subscriber} it owns no queue; one that falls a whole ring behind
 * is closed with 1013. Threads as in {@link Subscriber}: event loop, except {@link #wake}.
 */
final class FeedSubscriber {
    private static final int MAX_ITEMS_PER_TURN = 1024;

    private final Hub hub;
    private final RunFeed feed;
    private final ServerWebSocket socket;
    private final String workflowId; // null: every workflow
    private final Context context;
    private final long writeTimeoutMs;
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();

    private long cursor;
    private boolean waitingForDrain;
    private boolean closed;
    private long drainTimer = -1;

    FeedSubscriber(Hub hub, RunFeed feed, ServerWebSocket socket, String workflowId, Context context, long writeTimeoutMs) {
        this.hub = hub;
        this.feed = feed;
        this.socket = socket;
        this.workflowId = workflowId;
        this.context = context;
        this.writeTimeoutMs = writeTimeoutMs;
        this.cursor = feed.lastSeq();
    }

    void wake() {
        if (wakeScheduled.compareAndSet(false, true)) {
            context.runOnContext(ignored -> {
                wakeScheduled.set(false);
                pump();
            });
        }
    }

    void pump() {
        if (closed || waitingForDrain) {
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
                written++;
            }
        }
        if (cursor < feed.lastSeq()) {
            wake();
        }
    }

    private void awaitDrain() {
        waitingForDrain = true;
        socket.drainHandler(ignored -> {
            waitingForDrain = false;
            context.owner().cancelTimer(drainTimer);
            pump();
        });
        drainTimer = context.owner().setTimer(writeTimeoutMs, ignored -> {
            if (waitingForDrain) {
                close(CloseCode.TRY_AGAIN, "too slow: a write did not complete in time");
            }
        });
    }

    void close(CloseCode code, String reason) {
        if (closed) {
            return;
        }
        closed();
        if (!socket.isClosed()) {
            socket.close(code.code(), reason);
        }
    }

    void closed() {
        if (closed) {
            return;
        }
        closed = true;
        if (drainTimer >= 0) {
            context.owner().cancelTimer(drainTimer);
        }
        hub.unsubscribe(this);
    }

    Context context() {
        return context;
    }
}
