package dev.stepstream.execution;

import dev.stepstream.store.RunDeletion;
import dev.stepstream.store.Store;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished runs (docs/api.md, "Run lifecycle and storage"), for
 * {@code DELETE /api/v2/workflows/runs/{runId}} and the retention sweeper alike: the run's rows
 * in one short store transaction, then its streams are told to end on every node
 * ({@link RunListener#deleted}, the broker), then its events are purged a chunk per transaction,
 * so that the store's one writer (SQLite), which the committer of live events shares, is never
 * held long.
 *
 * <p>Thread-safety: holds no mutable state; it blocks on the store, so callers run on virtual
 * threads.
 */
public final class RunDeleter {
    private static final Logger log = LoggerFactory.getLogger(RunDeleter.class);

    /** Paces a purge: told of each chunk as it is removed. */
    @FunctionalInterface
    public interface Pacer {
        /** Goes on as fast as the store allows. */
        Pacer NONE = (removed, writeNanos) -> true;

        /**
         * @param removed    the events the chunk removed
         * @param writeNanos how long its transaction took
         * @return false to stop: the rest of the purge stays pending ({@link Store#pendingPurges})
         */
        boolean next(long removed, long writeNanos);
    }

    private final Store store;
    private final RunListener listener;

    public RunDeleter(Store store, RunListener listener) {
        this.store = store;
        this.listener = listener;
    }

    /**
     * Deletes the run if it has finished, and its events with it. When this returns
     * {@link RunDeletion.Deleted}, the run is gone for every reader and its streams are told to
     * end; its events are gone too, unless the store failed while purging them (then the purge
     * stays pending, {@link Store#pendingPurges}).
     */
    public RunDeletion delete(UUID runId) {
        RunDeletion outcome = deleteRows(runId);
        if (outcome instanceof RunDeletion.Deleted) {
            try {
                purge(runId, Pacer.NONE);
            } catch (RuntimeException e) {
                log.warn("run {} was deleted, but not all its events yet (they are removed later): {}", runId, e.toString());
            }
        }
        return outcome;
    }

    /**
     * The first half of {@link #delete}: the run's rows, if it has finished, then the notice that
     * ends its streams. Its events are left for {@link #purge}.
     */
    public RunDeletion deleteRows(UUID runId) {
        RunDeletion outcome = store.deleteRun(runId);
        if (outcome instanceof RunDeletion.Deleted deleted) {
            listener.deleted(runId, deleted.workflowId());
        }
        return outcome;
    }

    /**
     * Removes the events of a deleted run (or one whose purge a stopped process left), a chunk of
     * {@link Store#PURGE_CHUNK} per transaction, until none is left or {@code pacer} says stop.
     *
     * @return the events removed
     */
    public long purge(UUID runId, Pacer pacer) {
        long total = 0;
        while (true) {
            long started = System.nanoTime();
            long removed = store.purgeEvents(runId, Store.PURGE_CHUNK);
            if (removed == 0) {
                return total;
            }
            total += removed;
            if (!pacer.next(removed, System.nanoTime() - started)) {
                return total;
            }
        }
    }
}
