package dev.stepstream.stream;

import dev.stepstream.time.Clock;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The clock of the stream sockets (docs/api.md, "The run stream"): one periodic task per event
 * loop, not a timer per connection, that visits the loop's {@link StreamSocket}s and has each
 * ping, close when idle, or end a close handshake that got no answer. It ticks at a quarter of
 * the shortest of the ping interval, the idle timeout and the close timeout (the write timeout),
 * so each happens at most a quarter period late, never early. Time is read from the server's
 * {@link Clock}; the ticks themselves are the event loops' timers, so a test that moves a manual
 * clock past a ping interval sees the ping at the next tick (a quarter of the shortest period).
 *
 * <p>Threads: each {@link Loop}'s list of sockets (linked through the sockets themselves: no
 * node per connection) is touched only on its event loop; the map of loops is concurrent.
 */
final class Heartbeats implements AutoCloseable {
    private final long pingNanos;
    private final long idleNanos;
    private final long closeTimeoutNanos;
    private final long tickMs;
    private final Clock clock;
    private final Map<EventExecutor, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Heartbeats(StreamSettings timings, Clock clock) {
        this.clock = clock;
        this.pingNanos = timings.pingInterval().toNanos();
        this.idleNanos = timings.idleTimeout().toNanos();
        this.closeTimeoutNanos = timings.writeTimeout().toNanos();
        long shortest = Math.min(timings.pingInterval().toMillis(), Math.min(timings.idleTimeout().toMillis(),
                timings.writeTimeout().toMillis()));
        this.tickMs = Math.max(10, shortest / 4);
    }

    /** The clock of {@code loop}, started on first use. */
    Loop on(EventExecutor loop) {
        return loops.computeIfAbsent(loop, Loop::new);
    }

    /** Stops every loop's clock (the sockets are closed by then, or their channels soon are). */
    @Override
    public void close() {
        closed = true;
        loops.values().forEach(loop -> loop.task.cancel(false));
    }

    /** One event loop's sockets and its periodic task. */
    final class Loop {
        private final ScheduledFuture<?> task;
        private StreamSocket first;

        private Loop(EventExecutor executor) {
            this.task = executor.scheduleAtFixedRate(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
            if (closed) {
                task.cancel(false);
            }
        }

        long pingNanos() {
            return pingNanos;
        }

        long idleNanos() {
            return idleNanos;
        }

        long closeTimeoutNanos() {
            return closeTimeoutNanos;
        }

        /** Now, in the clock's monotonic nanoseconds. */
        long now() {
            return clock.nanoTime();
        }

        /** A socket opened: its silence and its pings count from now. Its event loop only. */
        void add(StreamSocket socket) {
            long now = now();
            socket.lastReceived = now;
            socket.lastPing = now;
            socket.next = first;
            if (first != null) {
                first.previous = socket;
            }
            first = socket;
        }

        /** A socket closed. Its event loop only. */
        void remove(StreamSocket socket) {
            if (socket.previous != null) {
                socket.previous.next = socket.next;
            } else if (first == socket) {
                first = socket.next;
            }
            if (socket.next != null) {
                socket.next.previous = socket.previous;
            }
            socket.previous = null;
            socket.next = null;
        }

        private void tick() {
            long now = now();
            for (StreamSocket socket = first; socket != null; ) {
                StreamSocket next = socket.next; // a socket's tick may close it, never another
                try {
                    socket.tick(now);
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Heartbeats.class).warn("a stream socket's tick failed", e);
                }
                socket = next;
            }
        }
    }
}
