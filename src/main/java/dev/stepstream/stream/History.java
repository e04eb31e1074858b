package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.Store;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Store reads for the streams, done on virtual threads so that no event loop blocks. At most
 * {@value #MAX_CONCURRENT_READS} reads run at once; the others wait their turn on their own
 * virtual thread (at most one per connection, so the waiting is bounded by the connections).
 */
final class History implements AutoCloseable {
    static final int PAGE = 1000;
    private static final int MAX_CONCURRENT_READS = 32;

    private final Store store;
    private final StreamMetrics metrics;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore reads = new Semaphore(MAX_CONCURRENT_READS);

    History(Store store, StreamMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    CompletableFuture<List<RunEvent>> page(UUID runId, long after) {
        return CompletableFuture.supplyAsync(() -> bounded(() -> {
            List<RunEvent> events = store.events(runId, after, PAGE);
            metrics.historyRead(events.size());
            return events;
        }), threads);
    }

    CompletableFuture<Optional<RunDetail>> run(UUID runId) {
        return CompletableFuture.supplyAsync(() -> bounded(() -> store.findRun(runId)), threads);
    }

    private <T> T bounded(java.util.function.Supplier<T> read) {
        reads.acquireUninterruptibly();
        try {
            return read.get();
        } finally {
            reads.release();
        }
    }

    @Override
    public void close() {
        threads.shutdown();
    }
}
