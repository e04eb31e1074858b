package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.Store;
import java.util.Iterator;
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
 * LRU, bounded by the bytes of its events ({@link #keptBytesFor}), not by a count of pages: a
 * page of 1,000 typical envelopes is about 250 KB, one of 16 KiB log lines 16 MB. A run's last,
 * partial page is not kept, since it grows; a deleted run's pages are dropped ({@link #forget}).
 *
 * <p>Threads: any; {@code reading} is a concurrent map, and {@code recent} and
 * {@code recentBytes} are guarded by {@code recent}.
 */
final class History implements AutoCloseable {
    static final int PAGE = 1000;
    private static final int MAX_CONCURRENT_READS = 32;
    /** What an event held in memory costs beyond its envelope's bytes: the objects around them. */
    private static final int EVENT_OVERHEAD = 64;

    private record PageKey(UUID runId, long after) {}

    /** A kept page and what it holds in memory ({@link #bytesOf}). */
    private record Kept(Page page, long bytes) {}

    private final Store store;
    private final StreamMetrics metrics;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore reads = new Semaphore(MAX_CONCURRENT_READS);
    private final Map<PageKey, CompletableFuture<Page>> reading = new ConcurrentHashMap<>();
    /** Least recently read first. */
    private final LinkedHashMap<PageKey, Kept> recent = new LinkedHashMap<>(64, 0.75f, true);
    private long recentBytes;
    /** What the kept pages may hold; a page over a quarter of it is not kept. */
    private final long maxKeptBytes;

    History(Store store, StreamMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
        this.maxKeptBytes = keptBytesFor(Runtime.getRuntime().maxMemory());
    }

    /**
     * The kept pages' budget for a heap of {@code maxHeapBytes}: 1/32 of it, at most 32 MiB (128
     * pages of typical envelopes), at least 4 MiB. A heap of 256 MB keeps 8 MiB.
     */
    static long keptBytesFor(long maxHeapBytes) {
        return Math.clamp(maxHeapBytes / 32, 4L << 20, 32L << 20);
    }

    /** What a page's events hold in memory, near enough: their envelopes and the objects around them. */
    static long bytesOf(Page page) {
        long bytes = 0;
        for (RunEvent event : page.events()) {
            bytes += event.json().length + EVENT_OVERHEAD;
        }
        return bytes;
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
            Kept found = recent.get(key);
            kept = found == null ? null : found.page();
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
                    keep(key, page);
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

    /**
     * Keeps a full page, dropping the least recently read ones while the kept pages hold more
     * than {@link #maxKeptBytes}. A page over a quarter of that is not kept: its readers read it
     * from the store, together while they ask at once ({@code reading}).
     */
    private void keep(PageKey key, Page page) {
        long bytes = bytesOf(page);
        if (bytes > maxKeptBytes / 4) {
            return;
        }
        synchronized (recent) {
            Kept replaced = recent.put(key, new Kept(page, bytes));
            recentBytes += bytes - (replaced == null ? 0 : replaced.bytes());
            for (Iterator<Kept> eldest = recent.values().iterator(); recentBytes > maxKeptBytes && eldest.hasNext(); ) {
                recentBytes -= eldest.next().bytes();
                eldest.remove();
            }
        }
    }

    /**
     * The run was deleted: its kept pages go (a read in progress may still keep one, which then
     * ages out as any other). Any thread.
     */
    void forget(UUID runId) {
        synchronized (recent) {
            for (Iterator<Map.Entry<PageKey, Kept>> entries = recent.entrySet().iterator(); entries.hasNext(); ) {
                Map.Entry<PageKey, Kept> entry = entries.next();
                if (entry.getKey().runId().equals(runId)) {
                    recentBytes -= entry.getValue().bytes();
                    entries.remove();
                }
            }
        }
    }

    /** What the kept pages hold now ({@link #bytesOf} each). */
    long keptBytes() {
        synchronized (recent) {
            return recentBytes;
        }
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
