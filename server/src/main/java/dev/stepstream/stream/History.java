package dev.stepstream.stream;

import dev.stepstream.events.RunEvent;
import dev.stepstream.metrics.StreamMetrics;
import dev.stepstream.store.EventPage;
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
 * run together, make one store read per page, not a thousand. A read also stops at
 * {@value #PAGE_BYTES} bytes of envelopes, since a subscriber holds its page until it has sent
 * it, however slowly: a page of 1,000 typical envelopes is about 250 KB, one of 16 KiB log lines
 * 16 MB. Such a page is {@linkplain Page#cut cut}, and its readers go on from where it stops
 * ({@link #startOf}), where they meet again. A page being read is shared by everyone who asks
 * meanwhile; a page that does not reach the end of the log (committed events never change) is
 * kept in a small LRU, bounded by the bytes of its events ({@link #keptBytesFor}). A run's last,
 * partial page is not kept, since it grows; a deleted run's pages are dropped ({@link #forget}).
 *
 * <p>Threads: any; {@code reading} is a concurrent map, and {@code recent} and
 * {@code recentBytes} are guarded by {@code recent}.
 */
final class History implements AutoCloseable {
    static final int PAGE = 1000;
    /** Where a read stops, in bytes of envelopes: with the event that reaches it. */
    static final int PAGE_BYTES = 512 * 1024;
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
    /** What the kept pages may hold. */
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
     * A page of a run's events after {@code after} (a multiple of {@link #PAGE}, or where a cut
     * page stopped), up to the next multiple at most; whether it reached the end of the stored
     * log ({@code reachesEnd}); and when the read began ({@link System#nanoTime}): the store then
     * held no event after the last of a page that reaches the end.
     */
    record Page(long after, List<RunEvent> events, boolean reachesEnd, long readStartedNanos) {
        /** Whether the read stopped at {@link #PAGE_BYTES}, before the next multiple of {@link #PAGE} and the log's end. */
        boolean cut() {
            return !reachesEnd && storedThrough() < (after / PAGE + 1) * PAGE;
        }

        /** The last seq it holds, or {@code after} if none: where the store's log ended, if it {@linkplain #reachesEnd reaches the end}. */
        long storedThrough() {
            return events.isEmpty() ? after : events.getLast().seq();
        }

        /** Whether it holds every event from {@code after + 1} to its last, with no hole. */
        boolean whole() {
            return events.isEmpty() || events.getFirst().seq() == after + 1 && events.getLast().seq() == after + events.size();
        }
    }

    /**
     * Where a subscriber at {@code cursor} reads from: the start of the aligned page that holds
     * the event after it, where its readers meet; or the cursor itself when the subscriber's last
     * page, read from there, was cut at or before it ({@code lastCut}, the seq it stopped at, or
     * -1): a subscriber that sent all of a cut page goes on from its end as every reader of that
     * page does, and one that joined behind a cut does not read the events before it again.
     */
    static long startOf(long cursor, long lastCut) {
        long aligned = cursor / PAGE * PAGE;
        return lastCut >= aligned && lastCut <= cursor ? cursor : aligned;
    }

    /**
     * The page of {@code runId}'s history from {@code from} ({@link #startOf}): events after it,
     * up to the next multiple of {@link #PAGE} or {@link #PAGE_BYTES}, so the caller skips those
     * up to its cursor. Shorter when it reaches the end of what is stored.
     */
    CompletableFuture<Page> page(UUID runId, long from) {
        PageKey key = new PageKey(runId, from);
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
                    EventPage read = store.eventsWithin(runId, from, (int) (PAGE - from % PAGE), PAGE_BYTES);
                    return new Page(from, read.events(), !read.more(), started);
                });
                metrics.historyRead(page.events().size());
                if (!page.reachesEnd()) {
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
     * Keeps a page that does not reach the end of the log, dropping the least recently read ones
     * while the kept pages hold more than {@link #maxKeptBytes} (which is at least eight pages of
     * {@link #PAGE_BYTES}).
     */
    private void keep(PageKey key, Page page) {
        long bytes = bytesOf(page);
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
