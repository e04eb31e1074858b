package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.Store;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Store reads for the streams, done on virtual threads so that no event loop blocks. At most
 * {@value #MAX_CONCURRENT_READS} reads run at once; the others wait their turn on their own
 * virtual thread (at most one per connection, so the waiting is bounded by the connections).
 *
 * <p>History is read in aligned pages (events {@code k*PAGE+1 … (k+1)*PAGE} of a run) that
 * connections share: a thousand subscribers that fall behind a burst together, or join a long
 * run together, make one store read per page, not a thousand. A page being read is shared by
 * everyone who asks meanwhile; a full page (committed events never change) is kept in a small
 * LRU; a run's last, partial page is not kept, since it grows.
 *
 * <p>Threads: any; {@code reading} is a concurrent map and {@code recent} is guarded by itself.
 */
final class History implements AutoCloseable {
    static final int PAGE = 1000;
    private static final int MAX_CONCURRENT_READS = 32;
    /** Full pages kept: at most ~16 MB of typical envelopes. */
    private static final int RECENT_PAGES = 64;

    private record PageKey(UUID runId, long after) {}

    private final Store store;
    private final StreamMetrics metrics;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore reads = new Semaphore(MAX_CONCURRENT_READS);
    private final Map<PageKey, CompletableFuture<Page>> reading = new ConcurrentHashMap<>();
    private final Map<PageKey, Page> recent = new LinkedHashMap<>(RECENT_PAGES, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<PageKey, Page> eldest) {
            return size() > RECENT_PAGES;
        }
    };

    History(Store store, StreamMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * A page of a run's events after {@code after} (a multiple of {@link #PAGE}), and when the
     * read that found them began ({@link System#nanoTime}): the store then held no event after
     * the last of a page shorter than {@link #PAGE}.
     */
    record Page(long after, List<RunEvent> events, long readStartedNanos) {
        /** The last seq the store held when the page is short: its last event's, or {@code after} if empty. */
        long storedThrough() {
            return events.isEmpty() ? after : events.getLast().seq();
        }

        /** Whether it holds every event from {@code after + 1} to its last, with no hole. */
        boolean whole() {
            return events.isEmpty() || events.getFirst().seq() == after + 1 && events.getLast().seq() == after + events.size();
        }
    }

    /**
     * The page of {@code runId}'s history that holds the event after {@code after}: events
     * from the page's start, so the caller skips those up to {@code after}. Shorter than
     * {@link #PAGE} when it reaches the end of what is stored.
     */
    CompletableFuture<Page> page(UUID runId, long after) {
        PageKey key = new PageKey(runId, after / PAGE * PAGE);
        Page kept;
        synchronized (recent) {
            kept = recent.get(key);
        }
        if (kept != null) {
            return CompletableFuture.completedFuture(kept);
        }
        CompletableFuture<Page> mine = new CompletableFuture<>();
        CompletableFuture<Page> shared = reading.putIfAbsent(key, mine);
        if (shared != null) {
            return shared;
        }
        threads.execute(() -> {
            try {
                Page page = bounded(() -> {
                    long started = System.nanoTime(); // before the read's snapshot is taken
                    return new Page(key.after(), store.events(runId, key.after(), PAGE), started);
                });
                metrics.historyRead(page.events().size());
                if (page.events().size() == PAGE) {
                    synchronized (recent) {
                        recent.put(key, page);
                    }
                }
                mine.complete(page);
            } catch (Throwable failure) {
                mine.completeExceptionally(failure);
            } finally {
                reading.remove(key, mine);
            }
        });
        return mine;
    }

    CompletableFuture<Optional<RunPosition>> position(UUID runId) {
        return CompletableFuture.supplyAsync(() -> bounded(() -> store.findPosition(runId)), threads);
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
