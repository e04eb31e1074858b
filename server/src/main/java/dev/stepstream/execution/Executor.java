package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunStatus;
import dev.stepstream.json.Json;
import dev.stepstream.secrets.Masker;
import dev.stepstream.store.CancelTarget;
import dev.stepstream.store.Claim;
import dev.stepstream.store.ClaimedRun;
import dev.stepstream.store.Decided;
import dev.stepstream.store.NewRun;
import dev.stepstream.store.RunConcurrency;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.RunParent;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.RunReplay;
import dev.stepstream.store.RunRetry;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.time.Clock;
import dev.stepstream.workflow.Concurrency;
import dev.stepstream.workflow.Inputs;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Problem;
import dev.stepstream.workflow.TriggerSpec;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowValidator;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes runs: at most {@code maxConcurrentRuns} at once on this node, each on a virtual
 * thread of its own ({@link RunDriver}). The queue is the store: a submitted run is stored
 * {@code queued}, and every node's claimer takes the oldest unclaimed ones while it has free
 * slots ({@link Store#claimQueued}), so any node executes the runs queued on any node, oldest
 * first (by creation time, to the millisecond), and no run twice. At most {@code maxQueuedRuns} runs wait, over all nodes.
 * A run of a workflow with {@code concurrency} starts only while its key has a slot under its
 * limit, counted over all nodes (the store's claim sees to it); past the limit the claim hands
 * this node runs to end ({@code skip}) and runs to cancel ({@code cancel-running}).
 *
 * <p>The claimer (one virtual thread) claims when woken (a run was queued here or, through
 * the broker, elsewhere; a slot came free) and at least every {@code pollInterval}, when it
 * also looks for cancels asked of this node's runs on other nodes. The node's lease, and the
 * adoption of the runs of nodes that died, are {@link NodeLease}'s.
 *
 * <p>A run waiting for a child run ({@code type: workflow}) gives its slot back while it
 * waits ({@code parked}: a run with one step or several waiting so counts once), so that
 * parents waiting on children can never take every slot and leave their children queued for ever.
 *
 * <p>Ownership: {@code running}, {@code parked}, {@code closed}, {@code wakeRequested},
 * {@code heldBack} and {@code endedSinceClaim} are guarded by {@code lock}, which is never held
 * across I/O. {@code childWaits} is a concurrent map: the waiting steps' threads add and remove,
 * the committer thread completes. A run's events have one producer at a time: its driver while
 * it runs; the node that claimed it to end it without running it (a cancel before it started or
 * while it waited, a skip at its key's limit, a definition no longer valid, a log that does not
 * rebuild); the node that adopted it from a dead one. The last two end it by one rule,
 * {@link DriverlessEnd}.
 */
public final class Executor implements AutoCloseable {

    public enum CancelOutcome { ACCEPTED, NOT_FOUND, ALREADY_ENDED }

    /** A retry refused: the run is not found, has not ended, or {@code from} names no step of it (the message says). */
    public static final class RetryRefused extends RuntimeException {
        public enum Reason { NOT_FOUND, NOT_FINISHED, BAD_FROM, NOT_VALID }

        private final Reason reason;

        RetryRefused(Reason reason, String message) {
            this(reason, message, null);
        }

        /** @param problems for {@link Reason#NOT_VALID}: what is wrong, each problem with its path */
        RetryRefused(Reason reason, String message, InvalidException problems) {
            super(message, problems);
            this.reason = reason;
        }

        /** What makes the run's workflow invalid here ({@link Reason#NOT_VALID}), or null. */
        public InvalidException problems() {
            return getCause() instanceof InvalidException problems ? problems : null;
        }

        public Reason reason() {
            return reason;
        }
    }


    /** The queue of waiting runs is full, or the executor is shutting down. */
    public static final class OverCapacityException extends RuntimeException {
        OverCapacityException(String message) {
            super(message);
        }
    }

    /** Tells other nodes what concerns the runs they hold (each also finds out by itself, within a poll). */
    public interface Peers {
        /** Cancel a run {@code nodeId} executes now. */
        void cancel(String nodeId, UUID runId);

        /**
         * A decision was taken on a step of the run: {@code nodeId} holds it and is to take the
         * decision in; null when no node holds it, and any node may claim it now.
         */
        void decided(String nodeId, UUID runId);

        Peers NONE = new Peers() {
            @Override
            public void cancel(String nodeId, UUID runId) {}

            @Override
            public void decided(String nodeId, UUID runId) {}
        };
    }

    private static final Logger log = LoggerFactory.getLogger(Executor.class);
    /** The error of a run skipped because its concurrency key was at its limit (API.md, "Triggers and concurrency"). */
    static final String CONCURRENCY_LIMIT = "concurrency limit";
    /** Events read a page at a time when a run is rebuilt from its log: 16 MB of the longest lines. */
    private static final int REBUILD_PAGE = 1_000;
    /** How often a step waiting for a child run looks at it, besides the wake of a local end. */
    private static final Duration CHILD_POLL = Duration.ofSeconds(1);

    private final Store store;
    private final EventLog eventLog;
    /** The http steps' client, built when the first one asks for it. */
    private final Supplier<HttpClient> http;
    private final WorkflowValidator validator;
    /** What {@link #begin} starts runs from: each definition validated once, not once per run. */
    private final ValidatedWorkflows validated;
    private final dev.stepstream.workflow.HttpTargets httpTargets;
    private final int maxConcurrentRuns;
    private final int maxQueuedRuns;
    private final RunListener listener;
    private final String nodeId;
    private final Duration pollInterval;
    private final NodeLease lease;
    private final boolean alone;
    private final Clock clock;
    private final SecretSource secrets;
    /** Ends the runs this node claimed or adopted without running them. */
    private final DriverlessEnd ending;
    private volatile Peers peers = Peers.NONE;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Condition wake = lock.newCondition();
    private final Map<UUID, RunDriver> running = new LinkedHashMap<>(); // guarded by lock
    private boolean wakeRequested;                                      // guarded by lock
    /** The last claim left runs of a concurrency key queued at its limit: a run's end anywhere may let them start. */
    private boolean heldBack;                                           // guarded by lock
    /** A run ended (its run_complete stored) since the current claim began to read. */
    private boolean endedSinceClaim;                                    // guarded by lock
    /** Runs with steps waiting for child runs: how many steps of each. */
    private final Map<UUID, Integer> parked = new HashMap<>(); // guarded by lock
    /** Child runs some step here waits for: completed when this node commits their run_complete. */
    private final Map<UUID, CompletableFuture<Void>> childWaits = new ConcurrentHashMap<>();
    private boolean closed;                                             // guarded by lock
    private Thread claimer;

    /**
     * @param httpTargets where {@code http} steps may send requests
     * @param alone true when this node is the only one on its store (SQLite): at start, every
     *              other node there is a previous process, whose runs are adopted at once
     */
    public Executor(Store store, EventLog eventLog, Supplier<HttpClient> http, dev.stepstream.workflow.HttpTargets httpTargets,
                    WorkflowValidator validator, int maxConcurrentRuns,
                    int maxQueuedRuns, RunListener listener, String nodeId, Duration lease, Duration pollInterval,
                    boolean alone, Clock clock, SecretSource secrets) {
        this.secrets = secrets;
        this.httpTargets = httpTargets;
        this.store = store;
        this.eventLog = eventLog;
        this.http = http;
        this.validator = validator;
        this.validated = new ValidatedWorkflows(validator);
        this.maxConcurrentRuns = maxConcurrentRuns;
        this.maxQueuedRuns = maxQueuedRuns;
        this.listener = listener;
        this.nodeId = nodeId;
        this.pollInterval = pollInterval;
        this.alone = alone;
        this.clock = clock;
        this.ending = new DriverlessEnd(store, eventLog, listener, clock, secrets, childId -> cancel(childId));
        this.lease = new NodeLease(store, ending, nodeId, lease, alone, clock, this::wake, this::leaseLapsed);
        eventLog.addListener(new EventLog.Listener() {
            @Override
            public void committed(List<RunEvent> batch) {
                boolean ended = false;
                for (RunEvent event : batch) {
                    if (event.type() == EventType.RUN_COMPLETE) {
                        ended = true;
                        var wait = childWaits.isEmpty() ? null : childWaits.get(event.runId());
                        if (wait != null) {
                            wait.complete(null);
                        }
                    }
                }
                if (ended) {
                    runEnded();
                }
            }

            @Override
            public void lost(UUID runId) {
                stopLost(runId);
            }
        });
    }

    /** Where cancels for runs executed elsewhere go (the broker); set before {@link #start}. */
    public void peers(Peers peers) {
        this.peers = peers;
    }

    /**
     * Registers this node, ends the runs that nodes which are gone left running ({@code
     * interrupted}, their open steps first, continuing their seq series),
     * releases their queued runs, and starts claiming.
     */
    public void start() {
        lease.start();
        claimer = Thread.ofVirtual().name("run-claimer").start(this::claimLoop);
    }

    /**
     * Stores a new run as {@code queued}. Returns once the run is stored, so that it can be
     * read back at once; it starts when a node has a free slot.
     *
     * @throws OverCapacityException when {@code maxQueuedRuns} runs are waiting already (counted
     *         over all nodes; concurrent submits may pass it by a few)
     */
    public UUID submit(Workflow workflow, int workflowVersion, ObjectNode inputs) throws InvalidException {
        return submit(workflow, workflowVersion, inputs, RunTrigger.MANUAL);
    }

    /**
     * {@link #submit(Workflow, int, ObjectNode)} for a run that {@code trigger} started (a
     * schedule, a webhook).
     * @throws InvalidException at {@code concurrency.key} when the workflow's key fails on these inputs
     */
    public UUID submit(Workflow workflow, int workflowVersion, ObjectNode inputs, RunTrigger trigger) throws InvalidException {
        return submit(workflow, workflowVersion, inputs, null, null, trigger, concurrency(workflow, inputs));
    }

    /** The run's place in its workflow's concurrency group, or null when the workflow has none. */
    private static RunConcurrency concurrency(Workflow workflow, ObjectNode inputs) throws InvalidException {
        Concurrency concurrency = workflow.concurrency();
        return concurrency == null ? null : new RunConcurrency(concurrency.keyOf(workflow.id(), inputs), concurrency.limit(),
                concurrency.onLimit().wire());
    }

    /**
     * Queues a new run of an ended run's workflow version and inputs, which reuses the results
     * of some of its steps ({@link RetryPlan}): {@code from} is {@code failed}, {@code start} or
     * a step id of the run.
     *
     * @throws RetryRefused naming why not
     * @throws OverCapacityException as {@link #submit}
     */
    public UUID retry(UUID runId, String from) {
        RunDetail run = store.findRun(runId)
                .orElseThrow(() -> new RetryRefused(RetryRefused.Reason.NOT_FOUND, "no run " + runId + " exists"));
        if (!run.status().isTerminal()) {
            throw new RetryRefused(RetryRefused.Reason.NOT_FINISHED, "run " + runId + " is " + run.status().wire()
                    + ": only a run that has ended is retried (cancel it first)");
        }
        Workflow workflow;
        try {
            workflow = validator.validate(Json.parseTrusted(run.definition()), run.workflowId());
        } catch (InvalidException e) {
            throw new RetryRefused(RetryRefused.Reason.NOT_VALID,
                    "the workflow this run ran is no longer valid here: " + e.getMessage(), e);
        }
        if (!from.equals(RetryPlan.FROM_FAILED) && !from.equals(RetryPlan.FROM_START)
                && workflow.steps().stream().noneMatch(step -> step.id().equals(from))) {
            throw new RetryRefused(RetryRefused.Reason.BAD_FROM, "from: expected failed, start or a step id of run " + runId
                    + ", got \"" + (from.length() > 64 ? from.substring(0, 64) + "…" : from) + "\"");
        }
        if (!(run.inputs() instanceof ObjectNode inputs)) {
            // Stored by an older version with a number it could write but not read back (JdbcStore.inputs).
            InvalidException unreadable = new InvalidException(List.of(new Problem("inputs", "the run's stored inputs"
                    + " cannot be read (an older version stored a number too long to read back): execute the workflow again instead")));
            throw new RetryRefused(RetryRefused.Reason.NOT_VALID, unreadable.getMessage(), unreadable);
        }
        RunConcurrency concurrency;
        try {
            concurrency = concurrency(workflow, inputs);
        } catch (InvalidException e) {
            throw new RetryRefused(RetryRefused.Reason.NOT_VALID, e.getMessage(), e);
        }
        return submit(workflow, run.workflowVersion(), inputs, null, new RunRetry(runId, from),
                RunTrigger.retry(runId), concurrency);
    }

    private UUID submit(Workflow workflow, int workflowVersion, ObjectNode inputs, RunParent parent, RunRetry retry,
                        RunTrigger trigger, RunConcurrency concurrency) {
        requireOpen();
        if (store.countQueued() >= maxQueuedRuns) {
            throw new OverCapacityException(queuedAlready() + "; try again later");
        }
        NewRun run = newRun(workflow, workflowVersion, inputs, parent, retry, trigger, concurrency);
        store.createRun(run);
        listener.queued(run.runId(), workflow.id(), workflowVersion, run.createdAt(), trigger);
        wake();
        return run.runId();
    }

    /** Why a run is refused when the queue is full (--max-queued-runs): "1 run is", "10000 runs are". */
    private String queuedAlready() {
        return maxQueuedRuns + (maxQueuedRuns == 1 ? " run is" : " runs are") + " queued already";
    }

    /**
     * A new run of {@code workflow}, as the store keeps it: the definition and inputs as they are
     * now, its steps pending. Every secret's value in the inputs, and so in a concurrency key made
     * of them, is masked before anything holds them (docs/security.md, "Masking"): the run itself
     * sees {@code ***} there, as a run rebuilt from its log would.
     */
    private NewRun newRun(Workflow workflow, int workflowVersion, ObjectNode inputs, RunParent parent, RunRetry retry,
                          RunTrigger trigger, RunConcurrency concurrency) {
        Masker.Forms defined = secrets.defined();
        ObjectNode stored = inputs;
        RunConcurrency group = concurrency;
        if (!defined.isEmpty()) {
            stored = inputs.deepCopy();
            defined.maskInPlace(stored);
            if (concurrency != null) {
                group = new RunConcurrency(defined.mask(concurrency.key()), concurrency.limit(), concurrency.onLimit());
            }
        }
        List<NewRun.StepRef> steps = workflow.steps().stream()
                .map(step -> new NewRun.StepRef(step.id(), step.name())).toList();
        return new NewRun(UUID.randomUUID(), workflow.id(), workflowVersion, Json.bytes(workflow.definition()),
                Json.bytes(stored), Json.now(), steps, parent, workflow.resumes(), workflow.hasApprovals(), retry, trigger,
                group);
    }

    /**
     * Queues the run that a schedule starts for {@code dueAt}, unless a node did already: of all
     * the nodes that call this for one due time, one queues it ({@link Store#fireSchedule}). Its
     * trigger is {@code {"type":"schedule","id","dueAt"}} and its inputs the trigger's. A run that
     * cannot be queued (the queue is full, its concurrency key fails on those inputs) uses its due
     * time up all the same, and the node that used it logs why at warn, once: it is not retried.
     *
     * @return the run queued; empty when another node fired this due time (or a later one), or
     *         when the run could not be queued
     * @throws OverCapacityException when this node is shutting down: nothing is recorded, and
     *         another node may still fire the due time
     */
    public Optional<UUID> submitScheduled(Workflow workflow, int workflowVersion, TriggerSpec schedule, Instant dueAt) {
        requireOpen();
        RunTrigger trigger = RunTrigger.schedule(schedule.id(), dueAt);
        NewRun run = null;
        String refused;
        try {
            RunConcurrency concurrency = concurrency(workflow, schedule.inputs());
            refused = store.countQueued() >= maxQueuedRuns ? queuedAlready() : null;
            if (refused == null) {
                run = newRun(workflow, workflowVersion, schedule.inputs(), null, null, trigger, concurrency);
            }
        } catch (InvalidException e) {
            refused = e.getMessage();
        }
        if (!store.fireSchedule(workflow.id(), schedule.id(), dueAt, run)) {
            return Optional.empty();
        }
        if (run == null) {
            log.warn("schedule {} of workflow {} started no run for {}: {}", schedule.id(), workflow.id(), dueAt, refused);
            return Optional.empty();
        }
        listener.queued(run.runId(), workflow.id(), workflowVersion, run.createdAt(), trigger);
        wake();
        return Optional.of(run.runId());
    }

    /** @throws OverCapacityException once the node is shutting down: it queues nothing more */
    private void requireOpen() {
        lock.lock();
        try {
            if (closed) {
                throw new OverCapacityException("the server is shutting down");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A run ended, here or on another node, and its run_complete is stored: when runs of a
     * concurrency key wait for its limit, a slot of theirs may have come free, and the claimer
     * claims again at once (else a run's end frees nothing that this node's own slots do not say).
     */
    public void runEnded() {
        lock.lock();
        try {
            endedSinceClaim = true;
            if (heldBack) {
                wakeRequested = true;
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Something may be claimable: a run was queued, a slot came free, a node's runs were released. */
    public void wake() {
        lock.lock();
        try {
            wakeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Claims while there are free slots, and, full or not, the runs of concurrency keys to end at
     * their limit ({@code skip}) and the cancels that make room ({@code cancel-running}). Alone on
     * its store, a node learns of every queued run from a wake (a submit here, a freed slot, a
     * run's end while runs wait for their key's limit, the adoption at start), so only other
     * nodes' runs make it claim on the poll too, which keeps an idle single node from writing every
     * second. Cancels are read on every poll: a cancel may reach a run between its claim and
     * its driver's start, where only the store still carries it.
     */
    private void claimLoop() {
        boolean failed = false;
        while (true) {
            int free;
            boolean woken;
            lock.lock();
            try {
                // Until woken, closed, or a poll interval of the clock has passed (a wait may end early).
                long due = clock.nanoTime() + pollInterval.toNanos();
                while (!wakeRequested && !closed && due - clock.nanoTime() > 0) {
                    clock.awaitNanos(wake, due - clock.nanoTime());
                }
                if (closed) {
                    return;
                }
                woken = wakeRequested;
                wakeRequested = false;
                endedSinceClaim = false; // the claim below reads every end stored before this
                free = Math.max(0, maxConcurrentRuns - running.size() + parked.size());
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                if (woken || failed || !alone || (free > 0 && waitingRunDue())) {
                    Claim claim = store.claimQueued(nodeId, free, clock.now());
                    boolean allStarted = true;
                    for (ClaimedRun run : claim.runs()) {
                        allStarted &= begin(run);
                    }
                    makeRoom(claim.cancels());
                    heldBack(claim.heldBack());
                    if (!allStarted) {
                        wake(); // a claimed run ended without taking its slot: claim again
                    }
                }
                store.cancelRequested(nodeId).forEach(this::cancelHere);
                failed = false;
            } catch (RuntimeException e) {
                log.warn("could not claim runs or read cancels (retrying in {}): {}", pollInterval, e.getMessage());
                failed = true; // claim on the next poll, whatever the wake was for
            }
        }
    }

    /** Cancels the runs a claim chose to make room for newer runs of their concurrency key (onLimit: cancel-running). */
    private void makeRoom(List<UUID> runIds) {
        for (UUID runId : runIds) {
            log.info("cancelling run {}: a newer run of its concurrency key takes its place", runId);
            cancel(runId);
        }
    }

    /** Records whether runs wait for their key's limit; one that ended while the claim read may have freed their slot. */
    private void heldBack(boolean waiting) {
        lock.lock();
        try {
            heldBack = waiting;
            if (waiting && endedSinceClaim) {
                wakeRequested = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a waiting run that no node holds is due to be taken up (a deadline passed): alone on
     * its store, a node hears of no decision but through a wake, and of no deadline but here.
     */
    private boolean waitingRunDue() {
        return alone && store.nextWake().filter(at -> !at.isAfter(clock.now())).isPresent();
    }

    /**
     * Starts a run this node claimed, or ends it at once when it is cancelled or can no longer run.
     * @return whether it started (and took a slot)
     */
    private boolean begin(ClaimedRun run) {
        if (!run.inputs().isObject()) {
            // Stored by an older version with a number it could not read back (JdbcStore.inputs).
            ending.end(run.runId(), run.workflowId(), run.lastSeq(), RunStatus.FAILED,
                    "its stored inputs cannot be read back (a number of more than 100 characters written out?): it cannot run");
            return false;
        }
        if (run.overLimit()) {
            // Its key was at its limit and its workflow says skip: it ends as a cancel before its start would.
            ending.end(run.runId(), run.workflowId(), run.lastSeq(), RunStatus.CANCELLED, CONCURRENCY_LIMIT);
            return false;
        }
        Workflow workflow;
        try {
            workflow = validated.of(run.workflowId(), run.definition());
        } catch (InvalidException e) {
            ending.end(run.runId(), run.workflowId(), run.lastSeq(), RunStatus.FAILED,
                    "the workflow this run was queued with is no longer valid here: " + e.getMessage());
            return false;
        }
        if (run.cancelRequested()) {
            ending.cancel(run.runId(), run.workflowId(), run.lastSeq());
            return false;
        }
        RunFold.Run resumed = null;
        if (run.lastSeq() > 0) {
            // Handed back by a node that stopped or died (onInterrupt: resume), or waiting and
            // due (a decision came, or a deadline passed): go on from its log.
            listener.recovered(run.runId(), run.workflowId());
            try {
                resumed = rebuild(run, workflow);
            } catch (RuntimeException e) {
                // Owned by this node now: left as it is, no node would ever take it up again.
                log.error("run {} could not be rebuilt from its log to resume it: ended interrupted", run.runId(), e);
                ending.end(run.runId(), run.workflowId(), run.lastSeq(), RunStatus.INTERRUPTED,
                        "could not be resumed: " + e.getMessage());
                return false;
            }
            if (run.status() == RunStatus.WAITING) {
                log.debug("taking up waiting run {} at seq {}", run.runId(), run.lastSeq());
            } else {
                log.info("resuming run {} at seq {}", run.runId(), run.lastSeq());
            }
        } else {
            listener.claimed(run.runId(), run.workflowId(), run.workflowVersion(), run.createdAt(), run.trigger());
        }
        Map<String, RetryPlan.Reused> reuse = Map.of();
        if (run.retry() != null && resumed == null) {
            try {
                reuse = RetryPlan.of(workflow, log(run.retry().runId(), Long.MAX_VALUE), run.retry().from());
            } catch (RuntimeException e) {
                log.warn("run {} retries run {}, whose log could not be read: it reuses nothing", run.runId(), run.retry().runId(), e);
            }
        }
        RunDriver driver = new RunDriver(run.runId(), workflow, run.workflowVersion(), (ObjectNode) run.inputs(),
                run.lastSeq(), eventLog, http, httpTargets, listener, lease, run.parent(), this::childRuns, nodeId, resumed,
                store::decisions, run.retry(), run.trigger(), reuse, secrets);
        lock.lock();
        try {
            if (closed) {
                // Claimed while the node began to stop: it stays queued, claimed by this node,
                // until the node deregisters and another node (or the next start) adopts it.
                return false;
            }
            // A driver of this run may linger from an earlier claim that this node lost (its
            // lease lapsed, the run was released, and claimed here again): it is stale.
            RunDriver stale = running.put(run.runId(), driver);
            if (stale != null) {
                stale.stop(RunDriver.StopReason.LOST);
            }
        } finally {
            lock.unlock();
        }
        Thread.ofVirtual().name("run-" + run.runId()).start(() -> drive(driver));
        return true;
    }

    /**
     * What a step of run {@code runId}, at nesting {@code depth}, may do with child runs;
     * {@code takeUpSince} for the attempt a resume restarted (the cut-off attempt's start), which
     * goes on with the child that attempt had started: still going, or ended while no node held
     * the parent (an interrupted child then fails the step, as it would have). Any other attempt
     * (a retry's, whose child was cancelled) starts a child of its own.
     */
    private ChildRuns childRuns(UUID runId, String stepId, int depth, java.time.Instant takeUpSince) {
        return new ChildRuns() {
            @Override
            public Child start(String workflowId, JsonNode given) throws StepFailedException {
                Optional<UUID> earlier = takeUpSince == null ? Optional.empty() : store.childSince(runId, stepId, takeUpSince);
                if (earlier.isPresent()) {
                    return new Child(earlier.get(), true);
                }
                if (depth >= ChildRuns.MAX_DEPTH) {
                    throw new StepFailedException("runs nest at most " + ChildRuns.MAX_DEPTH + " deep, and this run is at depth " + depth
                            + ": it starts no run of \"" + workflowId + "\"");
                }
                StoredWorkflow stored = store.findWorkflow(workflowId)
                        .orElseThrow(() -> new StepFailedException("no workflow \"" + workflowId + "\" exists"));
                Workflow workflow;
                ObjectNode inputs;
                try {
                    workflow = validator.validate(Json.parseTrusted(stored.definition()), workflowId);
                } catch (InvalidException e) {
                    throw new StepFailedException("workflow \"" + workflowId + "\" is not valid here: " + e.getMessage());
                }
                try {
                    inputs = Inputs.bind(workflow.inputs(), given);
                } catch (InvalidException e) {
                    throw new StepFailedException("inputs for workflow \"" + workflowId + "\": " + e.getMessage());
                }
                try {
                    RunConcurrency concurrency = concurrency(workflow, inputs);
                    refuseDeadlock(concurrency, workflowId);
                    return new Child(submit(workflow, stored.version(), inputs, new RunParent(runId, stepId, depth + 1), null,
                            RunTrigger.workflow(runId), concurrency), false);
                } catch (InvalidException e) {
                    throw new StepFailedException("workflow \"" + workflowId + "\": " + e.getMessage());
                } catch (OverCapacityException e) {
                    throw new StepFailedException("could not start workflow \"" + workflowId + "\": " + e.getMessage());
                }
            }

            /**
             * Fails the step rather than queue a child that could never start: the runs above it
             * (this one, its parent…) keep their slots of their keys until it has ended, so when
             * they hold every slot of its key, it would wait for them as they wait for it.
             */
            private void refuseDeadlock(RunConcurrency child, String workflowId) throws StepFailedException {
                if (child == null) {
                    return;
                }
                long heldAbove = store.concurrencyKeysUp(runId).stream().filter(child.key()::equals).count();
                if (child.neverStartsUnder(heldAbove)) {
                    throw new StepFailedException("a run of \"" + workflowId + "\" would never start: every slot of its concurrency key \""
                            + child.key() + "\" (limit " + child.limit() + ") is held by this run or the runs above it, which wait for"
                            + " this step to end; give the child workflow another concurrency key");
                }
            }

            @Override
            public Ending await(UUID childId) throws InterruptedException {
                return awaitChild(runId, childId);
            }

            @Override
            public void cancel(UUID childId) {
                if (handingBack(runId)) {
                    log.info("run {} is handed back: its child run {} goes on for it", runId, childId);
                    return;
                }
                Executor.this.cancel(childId);
            }
        };
    }

    /**
     * Waits until a child run has ended, its slot given back meanwhile. This node's commit of
     * its run_complete wakes the wait at once; a child on another node is seen within a second.
     */
    private ChildRuns.Ending awaitChild(UUID parentId, UUID childId) throws InterruptedException {
        var ended = new CompletableFuture<Void>();
        childWaits.put(childId, ended);
        park(parentId, 1);
        try {
            while (true) {
                try {
                    // Its position (one row) while it goes on; its whole detail once, when it has ended.
                    // Its variables as its events showed them (a value over 16 KiB as its preview): the
                    // step's outputs are cut at 16 KiB each, and one large variable must not cut them all.
                    Optional<RunPosition> position = store.findPosition(childId);
                    if (position.isEmpty() || position.get().status().isTerminal()) {
                        Optional<RunDetail> child = store.findRun(childId);
                        return child.isEmpty() ? new ChildRuns.Ending(RunStatus.FAILED, "the run is gone", Json.object())
                                : new ChildRuns.Ending(child.get().status(), child.get().error(), Limits.previewed(child.get().variables()));
                    }
                } catch (RuntimeException e) {
                    log.warn("could not read child run {} (retrying): {}", childId, e.getMessage());
                }
                try {
                    ended.get(CHILD_POLL.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // look again
                }
            }
        } finally {
            park(parentId, -1);
            childWaits.remove(childId, ended);
        }
    }

    private void park(UUID runId, int change) {
        lock.lock();
        try {
            parked.merge(runId, change, (a, b) -> a + b == 0 ? null : a + b);
            wakeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The run as its stored log made it: every event folded from queued by the one rule of run state. */
    private RunFold.Run rebuild(ClaimedRun run, Workflow workflow) {
        List<Map.Entry<String, String>> declared = workflow.steps().stream()
                .map(step -> Map.entry(step.id(), step.name())).toList();
        return RunReplay.fold(store, run.runId(), RunFold.Run.queued(declared), run.lastSeq());
    }

    /**
     * A run's stored log up to {@code lastSeq} (all of it: Long.MAX_VALUE) but its log lines,
     * read a page at a time, with the whole values kept beside its events (as {@link RunReplay}
     * reads it): what a retry's plan folds. Nothing of a line is state, and a run's lines may be
     * gigabytes (a million of 16 KiB); the rest of its events are a few per step.
     */
    private List<RunEvent> log(UUID runId, long lastSeq) {
        List<RunEvent> events = new ArrayList<>();
        long after = 0;
        while (after < lastSeq) {
            List<RunEvent> page = store.eventsToFold(runId, after, REBUILD_PAGE);
            for (RunEvent event : page) {
                if (event.seq() <= lastSeq && event.type() != EventType.STEP_LOG) {
                    events.add(event);
                }
            }
            if (page.size() < REBUILD_PAGE) {
                break;
            }
            after = page.getLast().seq();
        }
        return events;
    }

    private void drive(RunDriver driver) {
        try {
            driver.run();
            if (driver.parked()) {
                parkWaiting(driver);
            }
        } catch (RuntimeException | Error e) {
            log.error("run {} failed inside the engine", driver.runId(), e);
        } finally {
            lock.lock();
            try {
                running.remove(driver.runId(), driver); // not a newer driver of the same run
                wakeRequested = true;
                wake.signalAll();
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Gives up a run whose every started step waits for a decision, once its events are stored:
     * no node holds it (nor a thread) until a decision comes or its first deadline passes, and
     * then whichever node claims it goes on. A decision or cancel that came meanwhile makes it
     * claimable at once.
     */
    private void parkWaiting(RunDriver driver) {
        try {
            while (!eventLog.awaitCommitted(Duration.ofSeconds(10))) {
                log.warn("run {} waits for its events to be stored before it is parked", driver.runId());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (store.park(driver.runId(), nodeId, driver.parkedUntil())) {
            wake(); // decided (or cancelled) while it parked: this node takes it up again
        }
    }

    /**
     * Approves or rejects a waiting approval step, whichever node holds its run (or none): the
     * decision is stored once, and the node that goes on with the run is told.
     *
     * @param decision {@code {"approved", "by", "comment"}}, masked here before it is stored (an
     *     approver may paste a secret's value into the comment)
     */
    public Decided.Outcome decide(UUID runId, String stepId, ObjectNode decision) {
        secrets.defined().maskInPlace(decision);
        Decided decided = store.decide(runId, stepId, decision);
        if (decided.outcome() != Decided.Outcome.TAKEN) {
            return decided.outcome();
        }
        String owner = decided.owner();
        if (owner == null || nodeId.equals(owner)) {
            decided(runId);
        }
        if (!nodeId.equals(owner)) {
            peers.decided(owner, runId);
        }
        return Decided.Outcome.TAKEN;
    }

    /** A decision was taken on a step of this run: its driver here takes it in, or a claim takes the run up. */
    public void decided(UUID runId) {
        driverOf(runId).ifPresent(RunDriver::nudge);
        wake();
    }

    /** The driver of the run, if this node executes it now. */
    private Optional<RunDriver> driverOf(UUID runId) {
        lock.lock();
        try {
            return Optional.ofNullable(running.get(runId));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Cancels a run, whichever node executes it: a queued one ends {@code cancelled} at once; a
     * running one has its current step stopped (a script's process tree killed) by its node and
     * ends {@code cancelled}. The cancel is recorded in the store first, so the run's node
     * learns of it within a poll even when the broker's notice is lost.
     */
    public CancelOutcome cancel(UUID runId) {
        Optional<CancelTarget> target = store.requestCancel(runId);
        if (target.isPresent() && target.get().owner() == null) {
            Optional<ClaimedRun> claimed = store.claimRun(runId, nodeId);
            if (claimed.isPresent()) {
                // Claimed by us to end it (queued, waiting, or handed back): no node will ever run it, so we emit.
                ending.cancel(runId, claimed.get().workflowId(), claimed.get().lastSeq());
                return CancelOutcome.ACCEPTED;
            }
            target = store.requestCancel(runId); // another node claimed it in between: find which
        }
        if (target.isEmpty()) {
            // Ended (its run_complete may still be committing), or never existed.
            return store.findRun(runId).isEmpty() ? CancelOutcome.NOT_FOUND : CancelOutcome.ALREADY_ENDED;
        }
        String owner = target.get().owner();
        if (nodeId.equals(owner)) {
            cancelHere(runId);
        } else if (owner != null) {
            peers.cancel(owner, runId);
        }
        return CancelOutcome.ACCEPTED;
    }

    /** Whether this node is handing the run back (it stops, and the run resumes elsewhere). */
    private boolean handingBack(UUID runId) {
        return driverOf(runId).map(RunDriver::handingBack).orElse(false);
    }

    /** Stops a run this node executes (a cancel asked here or on another node); no-op for others. */
    public void cancelHere(UUID runId) {
        stop(runId, RunDriver.StopReason.CANCEL);
    }

    /** Stops the run's driver, if this node executes it. */
    private void stop(UUID runId, RunDriver.StopReason reason) {
        driverOf(runId).ifPresent(driver -> driver.stop(reason));
    }

    /** This node's lease lapsed and its runs were adopted elsewhere: stop them (their events are refused now). */
    private void leaseLapsed() {
        lock.lock();
        try {
            running.values().forEach(driver -> driver.stop(RunDriver.StopReason.LOST));
        } finally {
            lock.unlock();
        }
    }

    /** The store refused a run's events from this node: another node holds it, or it ended. Stop it quietly. */
    private void stopLost(UUID runId) {
        stop(runId, RunDriver.StopReason.LOST);
    }

    /** Runs executing now on this node. */
    public int runningCount() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /** This node's id in the store (the owner of the runs it claims). */
    public String nodeId() {
        return nodeId;
    }

    /** Runs queued in the store, on every node (a count query: for scrapes, not hot paths). */
    public int queuedCount() {
        return store.countQueued();
    }

    /**
     * Stops claiming, stops the running runs (they end {@code interrupted}, their scripts
     * killed) and waits up to {@code timeout} for them to finish. Queued runs stay queued in
     * the store, for another node or the next start. The lease is kept until {@link #leave}.
     */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            closed = true;
            wake.signalAll();
            // A resumable run is handed back (it emits nothing more, and goes on elsewhere); others end interrupted.
            running.values().forEach(driver -> driver.stop(driver.resumes() ? RunDriver.StopReason.HAND_BACK
                    : RunDriver.StopReason.SHUTDOWN));
            while (!running.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn("{} runs did not stop in time", running.size());
                    break;
                }
                idle.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        joinQuietly(claimer);
    }

    /**
     * Gives up this node's lease. Call once the runs' last events are committed: until then
     * another node must not take them for orphans and end them a second time.
     */
    public void leave() {
        try {
            int handedBack = store.handBack(nodeId);
            if (handedBack > 0) {
                log.info("handed back {} resumable runs: other nodes (or this one's next start) resume them", handedBack);
            }
        } catch (RuntimeException e) {
            log.warn("could not hand back the resumable runs (they are taken up once this node's lease lapses): {}",
                    e.getMessage());
        }
        lease.close();
    }

    private static void joinQuietly(Thread thread) {
        if (thread == null) {
            return;
        }
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
