package dev.stepstream.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Runs a request's blocking work (store calls) on a virtual thread and sends the reply back
 * on the request's event loop, which never blocks (DESIGN.md "Threads"). At most
 * {@code maxInFlight} requests do blocking work at once; past that the answer is 503.
 *
 * <p>A reply's body stays in memory until the client has read it, however slowly. Bodies of
 * {@value #LARGE} bytes or more (a page of history of long lines is up to 4 MiB, a comparison of
 * two runs about twice that) count against one budget of the node's ({@link #LARGE_BODIES}, an
 * eighth of the heap, at least 16 MiB) until they are written out: past it, the answer is 503
 * {@code over_capacity}, not a node out of memory. Threads: any; the count is atomic.
 */
final class Blocking implements AutoCloseable {
    static final int LARGE = 64 * 1024;
    private static final long LARGE_BODIES = Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 8);
    private static final AtomicLong largeBodiesInFlight = new AtomicLong();
    /**
     * Requests whose answer may be large (a page of history of long lines, a comparison) built at
     * once, node-wide: each may hold about 12 MiB while it is built (the events read, the body,
     * the copy Vert.x sends), so as many as fit in three eighths of the heap (at least 2). The
     * others wait for their turn on their virtual threads, still counted in flight.
     */
    private static final Semaphore largeBuilds = new Semaphore((int) Math.max(2, Runtime.getRuntime().maxMemory() / (32L << 20)));

    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore inFlight;

    Blocking(int maxInFlight) {
        this.inFlight = new Semaphore(maxInFlight);
    }

    /** As {@link #respond}, for an answer that may be large: built when a turn of {@link #largeBuilds} comes. */
    void respondLarge(RoutingContext ctx, Callable<Reply> work) {
        respond(ctx, () -> {
            largeBuilds.acquire();
            try {
                return work.call();
            } finally {
                largeBuilds.release();
            }
        });
    }

    void respond(RoutingContext ctx, Callable<Reply> work) {
        if (!inFlight.tryAcquire()) {
            Reply.error(ApiError.overCapacity("too many requests in progress; try again later")).send(ctx);
            return;
        }
        Context context = Vertx.currentContext();
        workers.execute(() -> {
            Reply reply;
            try {
                reply = work.call();
            } catch (Throwable failure) {
                reply = Reply.error(Errors.toApiError(failure));
            } finally {
                inFlight.release();
            }
            long large = reply.body() == null || reply.body().length < LARGE ? 0 : reply.body().length;
            if (large > 0 && !takeLarge(large)) {
                reply = Reply.error(ApiError.overCapacity("too many large answers are being sent; try again later"));
                large = 0;
            }
            Reply done = reply;
            long counted = large;
            context.runOnContext(ignored -> done.send(ctx).onComplete(sent -> largeBodiesInFlight.addAndGet(-counted)));
        });
    }

    /** Counts a large body in flight, unless the others already in flight leave no room for it in {@link #LARGE_BODIES}. */
    private static boolean takeLarge(long bytes) {
        while (true) {
            long now = largeBodiesInFlight.get();
            if (now > 0 && now + bytes > LARGE_BODIES) {
                return false;
            }
            if (largeBodiesInFlight.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /**
     * The first part of a response sent in parts (a log read page by page): as {@link #respond},
     * 503 past the limit and a failure of {@code work} answered as an error, but a result is
     * handed to {@code then} on the request's context, which begins the response.
     */
    <T> void begin(RoutingContext ctx, Callable<T> work, Consumer<T> then) {
        if (!inFlight.tryAcquire()) {
            Reply.error(ApiError.overCapacity("too many requests in progress; try again later")).send(ctx);
            return;
        }
        Context context = Vertx.currentContext();
        workers.execute(() -> {
            T result;
            try {
                result = work.call();
            } catch (Throwable failure) {
                Reply error = Reply.error(Errors.toApiError(failure));
                context.runOnContext(ignored -> error.send(ctx));
                return;
            } finally {
                inFlight.release();
            }
            context.runOnContext(ignored -> then.accept(result));
        });
    }

    /**
     * A later part of a response already begun, which can no longer answer 503: past the limit
     * it waits for its turn, on its virtual thread (which holds no carrier thread meanwhile).
     * {@code then} gets the result, or the failure (reported as {@link Errors} reports it), on
     * {@code context}.
     */
    <T> void next(Context context, Callable<T> work, BiConsumer<T, ApiError> then) {
        workers.execute(() -> {
            T result = null;
            ApiError error = null;
            try {
                inFlight.acquire();
                try {
                    result = work.call();
                } finally {
                    inFlight.release();
                }
            } catch (Throwable failure) {
                error = Errors.toApiError(failure);
            }
            T done = result;
            ApiError failed = error;
            context.runOnContext(ignored -> then.accept(done, failed));
        });
    }

    @Override
    public void close() {
        workers.shutdown();
    }
}
