package dev.stepstream.stream;

import io.vertx.core.Context;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every stream connection shares: a {@link #pump} that writes while the socket has room,
 * woken from any thread at most once until it runs; a wait for the socket to drain that closes
 * the connection with 1013 if it does not drain within the write timeout; and a close that
 * happens once. Subclasses keep their own cursor.
 *
 * <p>Threads: everything runs on the connection's event loop ({@code context}), which owns
 * the fields, except {@link #wake}, which only schedules {@link #pump} there.
 */
abstract class Pump {
    final Context context;
    private final long writeTimeoutMs;
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();
    private boolean waitingForDrain;
    private boolean closed;
    private long drainTimer = -1;

    Pump(Context context, long writeTimeoutMs) {
        this.context = context;
        this.writeTimeoutMs = writeTimeoutMs;
    }

    /** Writes what is ready while the socket has room. Event loop only. */
    abstract void pump();

    /** Calls {@code drained} once the socket's write queue has room again. */
    abstract void onDrain(Runnable drained);

    /** Sends the close to the client (a close frame, the end of a response). */
    abstract void sendClose(CloseCode code, String reason);

    /** Forgets this connection in the hub. */
    abstract void unsubscribe();

    /** Any thread: there is something new; pump on the event loop soon. */
    final void wake() {
        if (wakeScheduled.compareAndSet(false, true)) {
            context.runOnContext(ignored -> {
                wakeScheduled.set(false);
                pump();
            });
        }
    }

    /** True when {@link #pump} must not write: closed, or waiting for the socket to drain. */
    final boolean paused() {
        return closed || waitingForDrain;
    }

    /** The socket is full: wait for it to drain, and close with 1013 if it does not in time. */
    final void awaitDrain() {
        waitingForDrain = true;
        long timer = context.owner().setTimer(writeTimeoutMs, ignored -> {
            if (waitingForDrain) {
                close(CloseCode.TRY_AGAIN, "too slow: a write did not complete in time; reconnect with after");
            }
        });
        drainTimer = timer;
        onDrain(() -> {
            if (!waitingForDrain) {
                return;
            }
            waitingForDrain = false;
            context.owner().cancelTimer(timer);
            drainTimer = -1;
            pump();
        });
    }

    /** Closes the connection with {@code code}. Event loop only; idempotent. */
    final void close(CloseCode code, String reason) {
        if (closed) {
            return;
        }
        closed();
        sendClose(code, reason);
    }

    /** The connection is gone (closed by either side): stop and forget it. Event loop only; idempotent. */
    final void closed() {
        if (closed) {
            return;
        }
        closed = true;
        if (drainTimer >= 0) {
            context.owner().cancelTimer(drainTimer);
        }
        unsubscribe();
    }

    final boolean isClosed() {
        return closed;
    }

    Context context() {
        return context;
    }
}
