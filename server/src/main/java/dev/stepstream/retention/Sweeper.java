package dev.stepstream.retention;

import dev.stepstream.execution.RunDeleter;
import dev.stepstream.json.Json;
import dev.stepstream.metrics.StoreMetrics;
import dev.stepstream.store.RunDeletion;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoreUsage;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.time.Clock;
import dev.stepstream.time.StopSignal;
import dev.stepstream.workflow.Retention;
import dev.stepstream.workflow.WorkflowValidator;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the finished runs past their retention (docs/operations.md, "Retention") and gives
 * the space back, one virtual thread per node, a pass a minute on the {@link Clock}.
 *
 * <p>A pass: finishes the purges a stopped process left half done; deletes, oldest end first,
 * every ended run older than the server's {@code --retention} (none when it is zero), then, for
 * each workflow with a {@code retention}, its ended runs older than {@code maxAge} or not
 * among its {@code maxRuns} newest; gives free pages of the SQLite file back to the file system;
 * and measures the store's size. Each run goes through the {@link RunDeleter}, as a
 * {@code DELETE} of it would: the store refuses a run that has not ended, whatever the query
 * that found it saw, and a deleted run's streams end on every node.
 *
 * <p>It never holds the writer long: every write is one short transaction (a run's rows; at most
 * {@link Store#PURGE_CHUNK} of its events; as many free pages as take about
 * {@link #RECLAIM_TARGET}), so the committer of live events waits at most one of them; and after each write it rests, as long as the write took
 * when the node is quiet ({@link #REST_FACTOR_IDLE}), nine times as long while it is busy
 * ({@link #REST_FACTOR_BUSY}): events wait to be stored, or the processors are mostly in use
 * ({@link ProcessorLoad}: a fan-out to many clients keeps them so without filling the event
 * log). However much there is to delete, it takes at most a tenth of the writer, and about a
 * tenth of a processor, from a busy node, and half of the writer from a quiet one
 * (docs/BENCHMARKS.md, "Retention" and issue 21, measure both).
 *
 * <p>Several nodes sharing a store each run a sweeper: deleting is idempotent, so two that pick
 * the same run cost a little work twice, nothing more.
 *
 * <p>Ownership: {@code retentions} and a pass's figures belong to the sweeper's thread;
 * {@code stop} wakes it to stop.
 */
public final class Sweeper implements AutoCloseable {
    /** Time between two passes. */
    static final Duration INTERVAL = Duration.ofMinutes(1);
    /** Runs looked up per query. */
    static final int BATCH = 100;
    /**
     * How long one transaction that gives pages back should hold the writer. An incremental
     * vacuum moves each page from the end of the file into a free slot, updating its parent; what
     * a page costs grows with the file (about 60 us in a 350 MB file, over 1 ms in a 3 GB one,
     * measured), so the number of pages per transaction is adjusted after each one to take
     * about this long ({@link #reclaimPages}).
     */
    static final Duration RECLAIM_TARGET = Duration.ofMillis(20);
    static final int RECLAIM_PAGES_MIN = 8;
    static final int RECLAIM_PAGES_MAX = 2_048;
    /**
     * The most write time one pass spends giving pages back; the rest waits for the next pass,
     * so that deleting what has expired meanwhile is not held up by a large file's slow reclaim.
     */
    static final Duration RECLAIM_BUDGET = Duration.ofSeconds(20);
    /** After each write while the node is quiet, the sweeper rests as long as the write took. */
    static final int REST_FACTOR_IDLE = 1;
    /** After each write while the node is busy (see {@code busy}), the sweeper rests nine times as long. */
    static final int REST_FACTOR_BUSY = 9;

    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

    /** A workflow's retention as of the version read, null when it has none. */
    private record Cached(int version, Retention retention) {}

    private final Store store;
    private final Duration retention;
    private final RunDeleter deleter;
    /** Whether the node is busy: events wait to be stored, or its processors are mostly in use. */
    private final BooleanSupplier busy;
    private final StoreMetrics metrics;
    private final Clock clock;
    private final Map<String, Cached> retentions = new HashMap<>();
    /** This pass's figures, for its log line. */
    private long eventsDeleted;
    private long longestWriteNanos;
    /** Pages per reclaim transaction, adjusted towards {@link #RECLAIM_TARGET}; the sweeper's thread's. */
    private int reclaimPages = RECLAIM_PAGES_MIN * 4;

    private final StopSignal stop;
    private Thread thread;

    /**
     * @param retention how long an ended run is kept; zero keeps runs for ever (unless their
     *                  workflow says otherwise)
     * @param deleter       what deletes each run, and tells every node so that its streams end
     * @param busy          whether the node is busy: events wait to be stored (its event log is not
     *                      empty), or its processors are mostly in use ({@link ProcessorLoad})
     */
    public Sweeper(Store store, Duration retention, RunDeleter deleter, BooleanSupplier busy, StoreMetrics metrics,
                   Clock clock) {
        this.store = store;
        this.retention = retention;
        this.deleter = deleter;
        this.busy = busy;
        this.metrics = metrics;
        this.clock = clock;
        this.stop = new StopSignal(clock);
    }

    /** Measures the store (so that the first scrape has its size), then starts the passes, the first at once. */
    public void start() {
        try {
            measure();
        } catch (RuntimeException e) {
            log.warn("retention: could not measure the store (the first pass tries again): {}", e.getMessage());
        }
        thread = Thread.ofVirtual().name("sweeper").start(this::loop);
    }

    private void loop() {
        do {
            try {
                pass();
            } catch (RuntimeException e) {
                log.warn("retention: a pass failed (the next one, in {}, starts over): {}", INTERVAL, e.getMessage());
            }
        } while (stop.awaitUntil(clock.now().plus(INTERVAL)));
    }

    /** One pass; public to the package for tests that drive it by hand. */
    void pass() {
        long started = System.nanoTime();
        eventsDeleted = 0;
        longestWriteNanos = 0;
        long deleted = 0;
        for (UUID runId : store.pendingPurges(BATCH)) {
            purge(runId);
        }
        Instant now = clock.now();
        if (!retention.isZero()) {
            Instant endedBefore = now.minus(retention);
            deleted += deleteAll(() -> store.runsEndedBefore(endedBefore, BATCH));
        }
        refreshRetentions();
        for (Map.Entry<String, Cached> entry : retentions.entrySet()) {
            Retention limits = entry.getValue().retention();
            if (limits != null && limits.limits()) {
                Instant endedBefore = limits.maxAge() == null ? null : now.minus(limits.maxAge());
                deleted += deleteAll(() -> store.runsPastRetention(entry.getKey(), endedBefore, limits.maxRuns(), BATCH));
            }
        }
        long reclaimed = reclaim();
        StoreUsage usage = measure();
        metrics.passed();
        if (deleted > 0 || reclaimed > 0) {
            log.info("retention: deleted {} run(s) and {} events in {} ms (longest write {} ms), gave back {} bytes;"
                    + " the store takes {} bytes", deleted, eventsDeleted, (System.nanoTime() - started) / 1_000_000,
                    longestWriteNanos / 1_000_000, reclaimed, usage.sizeBytes());
        }
    }

    private StoreUsage measure() {
        StoreUsage usage = store.usage();
        metrics.usage(usage.sizeBytes(), usage.reclaimableBytes());
        return usage;
    }

    /**
     * Gives free pages back, each transaction sized to hold the writer about
     * {@link #RECLAIM_TARGET}, until none is left or the pass's {@link #RECLAIM_BUDGET} is spent.
     * @return the bytes given back
     */
    private long reclaim() {
        long reclaimed = 0;
        long spent = 0;
        while (!stop.stopped() && spent < RECLAIM_BUDGET.toNanos()) {
            long started = System.nanoTime();
            long bytes = store.reclaim(reclaimPages);
            long took = System.nanoTime() - started;
            longestWriteNanos = Math.max(longestWriteNanos, took);
            spent += took;
            if (bytes == 0) {
                break;
            }
            metrics.reclaimed(bytes);
            reclaimed += bytes;
            if (took > 2 * RECLAIM_TARGET.toNanos()) {
                reclaimPages = Math.max(RECLAIM_PAGES_MIN, reclaimPages / 2);
            } else if (took < RECLAIM_TARGET.toNanos() / 2) {
                reclaimPages = Math.min(RECLAIM_PAGES_MAX, reclaimPages * 2);
            }
            rest(took);
        }
        return reclaimed;
    }

    /** Deletes the runs {@code batch} finds until it finds none; the number deleted. */
    private long deleteAll(Supplier<List<UUID>> batch) {
        long deleted = 0;
        while (!stop.stopped()) {
            List<UUID> runIds = batch.get();
            long before = deleted;
            for (UUID runId : runIds) {
                if (stop.stopped()) {
                    break;
                }
                if (timed(() -> deleter.deleteRows(runId)) instanceof RunDeletion.Deleted) {
                    metrics.deletedByRetention();
                    purge(runId);
                    deleted++;
                }
            }
            if (runIds.size() < BATCH || deleted == before) {
                return deleted; // the last batch, or one whose runs all started again or went meanwhile
            }
        }
        return deleted;
    }

    private void purge(UUID runId) {
        if (stop.stopped()) {
            return;
        }
        eventsDeleted += deleter.purge(runId, (removed, writeNanos) -> {
            longestWriteNanos = Math.max(longestWriteNanos, writeNanos);
            return rest(writeNanos);
        });
    }

    /** Runs one write, then rests. */
    private <T> T timed(Supplier<T> write) {
        long started = System.nanoTime();
        T result = write.get();
        long took = System.nanoTime() - started;
        longestWriteNanos = Math.max(longestWriteNanos, took);
        rest(took);
        return result;
    }

    /**
     * Rests {@link #REST_FACTOR_IDLE} or {@link #REST_FACTOR_BUSY} times as long as a write took,
     * in real time (a write's length is real, whatever the clock); false once closed.
     */
    private boolean rest(long writeNanos) {
        return stop.awaitRealNanos(writeNanos * (busy.getAsBoolean() ? REST_FACTOR_BUSY : REST_FACTOR_IDLE));
    }

    /** Reads the retention of the workflows that are new or changed since the last pass. */
    private void refreshRetentions() {
        Map<String, Integer> versions = store.workflowVersions();
        retentions.keySet().retainAll(versions.keySet());
        versions.forEach((id, version) -> {
            Cached cached = retentions.get(id);
            if (cached == null || cached.version() != version) {
                Retention read = store.findWorkflow(id)
                        .map(StoredWorkflow::definition)
                        .map(definition -> WorkflowValidator.retentionOf(Json.parseTrusted(definition)))
                        .orElse(null);
                retentions.put(id, new Cached(version, read));
            }
        });
    }

    /** Stops after the write under way, if any. */
    @Override
    public void close() {
        stop.stop();
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
