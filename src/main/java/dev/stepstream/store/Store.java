package dev.stepstream.store;

import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Durable storage of workflows, runs and their event logs.
 *
 * <p>Contract, pinned by {@code StoreContractTest} against every implementation:
 * <ul>
 *   <li>{@link #commit} writes a batch of events in one transaction together with the run and
 *       step projections they imply (DESIGN.md invariant 1): after it returns, every event of
 *       the batch and its effect on {@link #findRun} are visible; if it throws, none is.</li>
 *   <li>Events are read back byte for byte as they were committed ({@link RunEvent#json}).</li>
 *   <li>A workflow's version starts at 1 and grows by one on each put that changes its
 *       definition; a put of an identical definition changes nothing.</li>
 * </ul>
 * Every method may be called from any thread; each call blocks on I/O, so callers run on
 * virtual threads, never on an event loop.
 */
public interface Store extends AutoCloseable {

    List<StoredWorkflow> listWorkflows();

    Optional<StoredWorkflow> findWorkflow(String workflowId);

    /**
     * Creates or replaces a workflow. The definition is the normalised JSON document.
     * @return the stored workflow and whether it was created, changed or left as it was
     */
    PutOutcome putWorkflow(WorkflowDraft draft, Instant now);

    /** @return false when there was no such workflow. Runs of the workflow are kept. */
    boolean deleteWorkflow(String workflowId);

    /** Inserts a run with status {@code queued} and all its steps {@code pending}. */
    void createRun(NewRun run);

    /** The run's projection: status, times, steps and current variables. */
    Optional<RunDetail> findRun(UUID runId);

    /**
     * The run's status and last seq, agreeing with {@link #findRun}: what a stream needs to
     * open, one indexed row instead of the whole projection.
     */
    Optional<RunPosition> findPosition(UUID runId);

    /**
     * Newest first (by creation time, then id), filtered, at most {@code query.limit()} rows;
     * following {@code next} returns no run twice and misses none that existed at the first page.
     * @throws IllegalArgumentException when {@code query.before()} is not a cursor this store
     *         returned as {@code next}, or the limit is below 1
     */
    RunPage listRuns(RunQuery query);

    /** Runs in any of these statuses, oldest first, with the definition they were queued with. */
    List<RunDetail> runsWithStatus(Set<RunStatus> statuses);

    /**
     * Stores a batch of events and updates the projections they imply, in one transaction.
     * Within a run the batch's seqs are consecutive and continue the stored ones; the store
     * checks this, so a duplicate or a gap fails the whole batch. When it throws, nothing of
     * the batch is stored.
     * @throws IllegalArgumentException when the batch's own seqs of a run are not consecutive,
     *         or a payload lacks a field its projection needs (the message names the event)
     * @throws IllegalStateException when an event's run does not exist, or its seqs do not
     *         continue the run's stored log
     * @throws StoreException when the database fails
     */
    void commit(List<RunEvent> batch);

    /** Events of a run with seq greater than {@code afterSeq}, in seq order, at most {@code limit}. */
    List<RunEvent> events(UUID runId, long afterSeq, int limit);

    /** @throws StoreException when the store does not answer; used by {@code /readyz} */
    void ping();

    @Override
    void close();
}
