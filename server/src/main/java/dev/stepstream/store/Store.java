package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunLostException;
import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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

    /** Each workflow's current version, by id: what a scheduler reads every second to see what changed. */
    Map<String, Integer> workflowVersions();

    Optional<StoredWorkflow> findWorkflow(String workflowId);

    /**
     * Creates or replaces a workflow. The definition is the normalised JSON document.
     * @return the stored workflow and whether it was created, changed or left as it was
     */
    PutOutcome putWorkflow(WorkflowDraft draft, Instant now);

    /** @return false when there was no such workflow. Runs of the workflow and its versions are kept. */
    boolean deleteWorkflow(String workflowId);

    /** Every stored version of a workflow, deleted or not, newest first; empty when it never existed. */
    List<WorkflowVersion> listWorkflowVersions(String workflowId);

    /** One stored version of a workflow, deleted or not. */
    Optional<StoredVersion> findWorkflowVersion(String workflowId, int version);

    /** Inserts a run with status {@code queued} and all its steps {@code pending}. */
    void createRun(NewRun run);

    /**
     * Fires a schedule's due time at most once, whatever the number of nodes that try: in one
     * transaction, advances the last due time fired for (workflow, trigger) to {@code dueAt} only
     * if it is earlier or there is none (a compare-and-set), and only then inserts {@code run} as
     * {@link #createRun} does. Of concurrent calls for one due time, one returns true; a call for
     * a due time at or before the last fired returns false and changes nothing.
     * @param run the run the due time starts, or null to use the due time up without a run (one
     *            could not be queued: the caller that wins says why, once)
     * @return whether this call fired it
     */
    boolean fireSchedule(String workflowId, String triggerId, Instant dueAt, NewRun run);

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
     * checks this, so a duplicate or a gap fails the whole batch. The writer must hold each run
     * of the batch (be its owner: it claimed or adopted it) and the run must not have ended, nor
     * may the batch move its status other than {@link RunStatus#canMoveTo} allows. When it
     * throws, nothing of the batch is stored. An event's {@link RunEvent#fullValue} (a
     * variable_change's whole value, which its payload only previews) is stored with it and
     * read back by {@link #eventsToFold}.
     * @param writer the id of the node whose events these are
     * @throws RunLostException when the writer no longer holds a run of the batch, or that run has ended
     * @throws IllegalArgumentException when the batch's own seqs of a run are not consecutive,
     *         or a payload lacks a field its projection needs (the message names the event)
     * @throws IllegalStateException when an event's run does not exist, or its seqs do not
     *         continue the run's stored log
     * @throws StoreException when the database fails
     */
    void commit(String writer, List<RunEvent> batch);

    /**
     * Events of a run with seq greater than {@code afterSeq}, in seq order, at most {@code limit}:
     * their envelopes, as streams send them ({@link RunEvent#fullValue} is null).
     */
    List<RunEvent> events(UUID runId, long afterSeq, int limit);

    /**
     * As {@link #events(UUID, long, int)}, stopping at the event with which their envelopes'
     * bytes reach {@code maxBytes}: so what a read holds is bounded by bytes as well as by count
     * (a run's log lines may be up to 16 KiB each). At least one event when one follows
     * {@code afterSeq}. Its {@link EventPage#next} is its last seq when more may follow (it
     * holds {@code limit} events, or their bytes reached {@code maxBytes}), -1 when it reached
     * the end of the stored log.
     */
    EventPage eventsWithin(UUID runId, long afterSeq, int limit, int maxBytes);

    /**
     * As {@link #events(UUID, long, int)}, each event with the whole value committed beside it
     * ({@link RunEvent#fullValue}, null for most): what a fold of the run's state reads
     * ({@link RunReplay}, a retry's plan), so that it rebuilds a variable over 16 KiB whole.
     */
    List<RunEvent> eventsToFold(UUID runId, long afterSeq, int limit);

    /**
     * The events of a run after {@code afterSeq} that pass {@code filter}, in seq order, at most
     * {@code limit}, stopping at the one with which their envelopes' bytes reach
     * {@code maxBytes}: a page of a search or filtered history. A call reads for a bounded time
     * (a rare match in a long run is not found in one call): the page then holds fewer than
     * {@code limit} events, possibly none, and its {@link EventPage#next} says where to go on.
     */
    EventPage events(UUID runId, long afterSeq, int limit, int maxBytes, EventFilter filter);

    /**
     * Runs queued or running now, and runs that ended at or after {@code endedSince}, oldest
     * first: what a node that cannot hear the others reads for its all-runs stream.
     */
    List<ActiveRun> activeRuns(Instant endedSince);

    /**
     * Runs deleted at or after {@code deletedSince} (by the clock of the node that deleted them),
     * oldest first: what a node that cannot hear the others reads for its all-runs streams'
     * {@code run_deleted}. Recorded by {@link #deleteRun} where several nodes may share the
     * database (PostgreSQL; a SQLite file has one node, and this is always empty there), and kept
     * for {@link #DELETIONS_KEPT}.
     */
    List<DeletedRun> deletedRuns(Instant deletedSince);

    /** How long {@link #deletedRuns} remembers a deletion: far longer than any poll looks back. */
    java.time.Duration DELETIONS_KEPT = java.time.Duration.ofHours(1);

    /** A run's run-level events ({@link dev.stepstream.events.EventType#isRunLevel}) with seq greater than {@code afterSeq}, in seq order. */
    List<RunEvent> runLevelEvents(UUID runId, long afterSeq);

    /** The last stored seq of each of these runs that exists (0 before its first event). */
    Map<UUID, Long> lastSeqs(Collection<UUID> runIds);

    /** Runs waiting in status {@code queued}, claimed or not: the cluster's run queue. */
    int countQueued();

    // --- deleting runs (docs/api.md, "Run lifecycle and storage") -------------------------------

    /** Events {@link #purgeEvents(UUID)} removes per transaction: short enough not to hold up the committer. */
    int PURGE_CHUNK = 5_000;

    /**
     * Deletes a finished run in one short write transaction: its row, steps, variables and
     * decisions, and records that its events are to be purged ({@link #pendingPurges}) and, where
     * other nodes may poll for it, that it was deleted ({@link #deletedRuns}). Its
     * events stay until {@link #purgeEvents} removes them; from the commit on, the run does not
     * exist for {@link #findRun}, {@link #findPosition}, {@link #listRuns} and {@link #lastSeqs}.
     * Nothing of any other run is touched.
     * @return {@link RunDeletion.Deleted} with the run's workflow; {@link RunDeletion#NOT_FOUND}; or
     *         {@link RunDeletion.NotFinished} with its status while it is queued, running or waiting
     */
    RunDeletion deleteRun(UUID runId);

    /**
     * Removes up to {@code maxRows} of the lowest-numbered events of a run that {@link #deleteRun}
     * deleted, in one short write transaction; once none is left, forgets the pending purge.
     * Does nothing for a run that was not deleted.
     * @return how many events it removed: 0 when none was left (the purge is then over)
     */
    long purgeEvents(UUID runId, int maxRows);

    /** Removes every event of a deleted run, {@value #PURGE_CHUNK} per transaction. @return how many */
    default long purgeEvents(UUID runId) {
        long total = 0;
        for (long removed; (removed = purgeEvents(runId, PURGE_CHUNK)) > 0; ) {
            total += removed;
        }
        return total;
    }

    /** Deleted runs whose events are not all purged yet (a process died meanwhile), oldest deletion first. */
    List<UUID> pendingPurges(int limit);

    // --- nodes, claims and leases (DESIGN.md "Scale") -----------------------------------

    /**
     * Registers a node with a lease until {@code leaseUntil}. A node id registered before is
     * taken to be a previous process of the same node, now gone: its unfinished runs become
     * orphans at once (see {@link #adoptOrphans}).
     */
    void registerNode(String nodeId, Instant now, Instant leaseUntil);

    /**
     * Extends the node's lease.
     * @return false when the node is no longer registered: its lease lapsed and another node
     *         adopted its runs (the node must stop executing them)
     */
    boolean renewLease(String nodeId, Instant leaseUntil);

    /** Forgets a node that stops cleanly (its runs have ended). */
    void deregisterNode(String nodeId);

    /** The end of the lease of the node registered as {@code nodeId}, or empty when none is. */
    Optional<Instant> leaseOf(String nodeId);

    /**
     * Records that this node's broker cannot publish its events, until {@code until} (renewed while
     * it cannot): the other nodes then read what it would have published from the store
     * ({@link #anyNodeWithoutBroker}). A node not registered (yet) records nothing.
     */
    void markBrokerDown(String nodeId, Instant until);

    /** Whether a node whose lease holds at {@code now} said its broker cannot publish, until after {@code now}. */
    boolean anyNodeWithoutBroker(Instant now);

    /**
     * Claims up to {@code max} queued runs that no node has claimed, oldest first, for
     * {@code nodeId}, which must be registered (else it claims nothing); also runs handed back to
     * be resumed, and waiting runs that no node holds whose decision came or whose first
     * deadline is at or before {@code now}. Concurrent claims from any number of nodes never return one run twice;
     * on PostgreSQL they do not wait for one another ({@code FOR UPDATE SKIP LOCKED}).
     *
     * <p>A queued run with a concurrency key is claimed to be started only while its key has a
     * slot under its limit, counted over every node: the runs of the key that run or wait, or
     * are claimed to be started. Claims of one key take turns (never two claims taking its last
     * slot), and its runs start first come, first served (created_at, run_id). Past the limit,
     * whatever {@code max} (0 too), a run whose workflow says {@code skip} is claimed to be ended
     * ({@link ClaimedRun#overLimit}), and one that says {@code cancel-running} has the oldest slot
     * holder of its key that is not cancelled yet asked to cancel ({@link Claim#cancels}).
     */
    Claim claimQueued(String nodeId, int max, Instant now);

    /** {@link #claimQueued(String, int, Instant)} now. */
    default Claim claimQueued(String nodeId, int max) {
        return claimQueued(nodeId, max, Instant.now());
    }

    /**
     * Claims one run that no node holds (queued, handed back, or waiting), so that
     * {@code nodeId} may end it (a cancel).
     */
    Optional<ClaimedRun> claimRun(UUID runId, String nodeId);

    /**
     * Records that the run is to be cancelled, when it is queued or running.
     * @return its status and owner, or empty when it has ended or does not exist
     */
    Optional<CancelTarget> requestCancel(UUID runId);

    /** The unfinished runs owned by {@code nodeId} whose cancel was requested. */
    List<UUID> cancelRequested(String nodeId);

    /**
     * Adopts the unfinished runs of nodes whose lease ended before {@code deadline} (and of no
     * node: runs left running by a version without nodes), in one transaction: their queued
     * runs are released for any node to claim, and so are their resumable running runs (to be
     * claimed and resumed); their other running runs become {@code nodeId}'s and are returned
     * for it to mark {@code interrupted}; those nodes are forgotten. Of two nodes adopting at
     * once, each orphan goes to one.
     */
    List<OrphanedRun> adoptOrphans(String nodeId, Instant deadline);

    /**
     * Gives up the node's resumable running runs, for any node to claim and resume: a node that
     * stops calls it once their last events are stored. Returns how many.
     */
    int handBack(String nodeId);

    /** The runs that retry this one ({@link NewRun#retry}), oldest first. */
    List<UUID> retries(UUID runId);

    /** The newest run that this step of that run started and that has not ended, if any. */
    Optional<UUID> unfinishedChild(UUID parentRunId, String parentStepId);

    /**
     * The newest run that this step of that run started at or after {@code since}, ended or not:
     * the child of the step's attempt that began then (children are queued by the node that runs
     * the attempt, on its clock).
     */
    Optional<UUID> childSince(UUID parentRunId, String parentStepId, java.time.Instant since);

    /**
     * The concurrency keys of the run and of each run above it (its parent, the parent's parent,
     * up to the top), nearest first; null for a run that has none. Empty when the run is gone.
     */
    List<String> concurrencyKeysUp(UUID runId);

    // --- approvals (docs/workflows.md "Approvals") --------------------------------------------

    /**
     * Gives up a waiting run that {@code nodeId} holds, for a node to claim from {@code wakeAt}
     * (its first decision deadline; null: only once a decision comes), or at once if a decision
     * or cancel was asked meanwhile. The caller has had the run's events stored.
     * @return whether it is claimable at once (decided or cancelled meanwhile); false too when
     *         the node did not hold the run or it was not waiting
     */
    boolean park(UUID runId, String nodeId, Instant wakeAt);

    /**
     * Records the decision on a waiting approval step, once: a waiting run that no node holds
     * becomes claimable at once; the node that holds one is named, to be told.
     */
    Decided decide(UUID runId, String stepId, JsonNode decision);

    /** The decisions taken on the run's waiting steps, by step id. */
    Map<String, JsonNode> decisions(UUID runId);

    /** The earliest time a waiting run that no node holds is to be claimed, if any is. */
    Optional<Instant> nextWake();

    // --- secrets (docs/security.md "Secrets"): ciphertexts and wrapped keys only ---------------

    /** Every secret, by name. */
    List<StoredSecret> secrets();

    Optional<StoredSecret> findSecret(String name);

    /** Creates or replaces a secret, and moves {@link #secretsVersion} on in the same transaction; true when it was created. */
    boolean putSecret(StoredSecret secret);

    /**
     * Replaces a secret's ciphertext only if it is still {@code expected} (a rotation's
     * re-encryption loses to a put that came meanwhile); true when replaced.
     */
    boolean replaceSecret(StoredSecret expected, String keyId, byte[] ciphertext);

    /** Deletes a secret and moves {@link #secretsVersion} on in the same transaction. @return false when there was no such secret */
    boolean deleteSecret(String name);

    /**
     * A number that is greater after every {@link #putSecret} and {@link #deleteSecret} than it
     * was before, whichever node made them, and the same otherwise ({@link #replaceSecret}, which
     * changes no value, leaves it): a node reads it to learn cheaply whether the values changed.
     */
    long secretsVersion();

    /** The data keys, wrapped by the master key, by id, oldest first. */
    Map<String, byte[]> secretKeys();

    /** Adds a data key; false when one of that id exists. */
    boolean addSecretKey(String keyId, byte[] wrapped, Instant createdAt);

    /** Replaces a data key's wrapping (the same key, sealed under another master key). */
    void rewrapSecretKey(String keyId, byte[] wrapped);

    // --- retention (docs/operations.md, "Retention") ---

    /**
     * Up to {@code limit} runs that ended (success, failed, cancelled, interrupted) before
     * {@code endedBefore}, those that ended first first. Runs that have not ended are never among them.
     */
    List<UUID> runsEndedBefore(Instant endedBefore, int limit);

    /**
     * Up to {@code limit} ended runs of {@code workflowId} past its retention: that ended before
     * {@code endedBefore} (when not null), or that are not among its {@code keepNewest} newest
     * runs by creation, those that have not ended included in the count (when above 0).
     */
    List<UUID> runsPastRetention(String workflowId, Instant endedBefore, int keepNewest, int limit);

    /** The disk the store takes; a few cheap reads, no scan. */
    StoreUsage usage();

    /**
     * SQLite: gives up to {@code maxPages} free pages at the end of the file back to the file
     * system (an incremental vacuum: one short write), so that the file shrinks once the next
     * checkpoint has run. PostgreSQL: nothing (autovacuum makes deleted rows' space reusable).
     *
     * @return the bytes given back
     */
    long reclaim(int maxPages);

    /** @throws StoreException when the store does not answer; used by {@code /readyz} */
    void ping();

    @Override
    void close();
}
