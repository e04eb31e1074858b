package dev.stepstream.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Runs a request's blocking work (store calls) on a virtual thread and sends the reply back
 * on the request's event loop, which never blocks (DESIGN.md "Threads"). At most
 * {@code maxInFlight} requests do blocking work at once; past that the answer is 503.
 */
final class Blocking implements AutoCloseable {
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore inFlight;

    Blocking(int maxInFlight) {
        this.inFlight = new Semaphore(maxInFlight);
    }

    void respond(RoutingContext ctx, Callable<Reply> work) {
        if (!inFlight.tryAcquire()) {
            Reply.error(new ApiError(503, "over_capacity", "too many requests in progress; try again later")).send(ctx);
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
            Reply done = reply;
            context.runOnContext(ignored -> done.send(ctx));
        });
    }

    @Override
    public void close() {
        workers.shutdown();
    }
}
