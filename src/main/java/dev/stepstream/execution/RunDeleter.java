package dev.stepstream.execution;

import dev.stepstream.store.RunDeletion;
import dev.stepstream.store.Store;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished runs (docs/api.md, "Run lifecycle and storage"): the run's rows in one short
 * store transaction, then its streams end on every node ({@link RunListener#deleted}, the broker),
 * then its events are purged a chunk per transaction, so that the store's one writer (SQLite) is
 * never held long. What {@code DELETE /api/v2/workflows/runs/{runId}} calls, and retention will.
 *
 * <p>Thread-safety: holds no mutable state; it blocks on the store, so callers run on virtual
 * threads.
 */
public final class RunDeleter {
    private static final Logger log = LoggerFactory.getLogger(RunDeleter.class);

    private final Store store;
    private final RunListener listener;

    public RunDeleter(Store store, RunListener listener) {
        this.store = store;
        this.listener = listener;
    }

    /**
     * Deletes the run if it has finished. When this returns {@link RunDeletion#DELETED}, the run
     * is gone for every reader and its streams are told to end; its events are gone too, unless
     * the store failed while purging them (then the purge stays pending, {@link Store#pendingPurges}).
     */
    public RunDeletion delete(UUID runId) {
        RunDeletion outcome = store.deleteRun(runId);
        if (outcome == RunDeletion.DELETED) {
            listener.deleted(runId);
            try {
                store.purgeEvents(runId);
            } catch (RuntimeException e) {
                log.warn("run {} was deleted, but not all its events yet (they are removed later): {}", runId, e.toString());
            }
        }
        return outcome;
    }
}
