package dev.stepstream.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.NewRun;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.Store;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowValidator;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queues runs and executes at most {@code maxConcurrentRuns} of them at once, each on a
 * virtual thread of its own ({@link RunDriver}); the rest wait {@code queued}, first in first
 * out, at most {@code maxQueuedRuns} of them.
 *
 * <p>Ownership: {@code queued}, {@code running}, {@code reserved} and {@code closed} are
 * guarded by {@code lock}, which is never held across I/O. A queued run belongs to the
 * executor; whoever removes it from {@code queued} under the lock (the dispatcher, or a
 * cancel) is the only one who may emit its events. A running run's events belong to its
 * driver.
 */
public final class Executor implements AutoCloseable {

    public enum CancelOutcome { ACCEPTED, NOT_FOUND, ALREADY_ENDED }

    /** The queue of waiting runs is full, or the executor is shutting down. */
    public static final class OverCapacityException extends RuntimeException {
        OverCapacityException(String message) {
            super(message);
        }
    }

    private record QueuedRun(UUID runId, Workflow workflow, int workflowVersion, ObjectNode inputs, long lastSeq) {}

    private static final Logger log = LoggerFactory.getLogger(Executor.class);

    private final Store store;
    private final EventLog eventLog;
    private final HttpClient http;
    private final int maxConcurrentRuns;
    private final int maxQueuedRuns;
    private final RunListener listener;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Map<UUID, QueuedRun> queued = new LinkedHashMap<>();  // guarded by lock; FIFO
    private final Map<UUID, RunDriver> running = new LinkedHashMap<>(); // guarded by lock
    private int reserved;                                               // guarded by lock
    private boolean closed;                                             // guarded by lock

    public Executor(Store store, EventLog eventLog, HttpClient http, int maxConcurrentRuns, int maxQueuedRuns,
                    RunListener listener) {
        this.listener = listener;
        this.store = store;
        this.eventLog = eventLog;
        this.http = http;
        this.maxConcurrentRuns = maxConcurrentRuns;
        this.maxQueuedRuns = maxQueuedRuns;
    }

    /**
     * Stores a new run as {@code queued} and queues it. Returns once the run is stored, so
     * that it can be read back at once; it starts when a slot is free.
     *
     * @throws OverCapacityException when {@code maxQueuedRuns} runs are waiting already
     */
    public UUID submit(Workflow workflow, int workflowVersion, ObjectNode inputs) {
        lock.lock();
        try {
            if (closed) {
                throw new OverCapacityException("the server is shutting down");
            }
            if (queued.size() + reserved >= maxQueuedRuns) {
                throw new OverCapacityException(maxQueuedRuns + " runs are queued already; try again later");
            }
            reserved++;
        } finally {
            lock.unlock();
        }
        UUID runId = UUID.randomUUID();
        try {
            List<NewRun.StepRef> steps = workflow.steps().stream()
                    .map(step -> new NewRun.StepRef(step.id(), step.name())).toList();
            store.createRun(new NewRun(runId, workflow.id(), workflowVersion, Json.bytes(workflow.definition()),
                    Json.bytes(inputs), Json.now(), steps));
        } catch (RuntimeException e) {
            release(null);
            throw e;
        }
        listener.queued(runId, workflow.id(), workflowVersion, Json.now());
        release(new QueuedRun(runId, workflow, workflowVersion, inputs, 0));
        return runId;
    }

    private void release(QueuedRun run) {
        lock.lock();
        try {
            reserved--;
            if (run != null) {
                queued.put(run.runId(), run);
                dispatch();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Starts queued runs while slots are free. Caller holds the lock. */
    private void dispatch() {
        while (!closed && running.size() < maxConcurrentRuns && !queued.isEmpty()) {
            QueuedRun next = queued.values().iterator().next();
            queued.remove(next.runId());
            RunDriver driver = new RunDriver(next.runId(), next.workflow(), next.workflowVersion(), next.inputs(),
                    next.lastSeq(), eventLog, http, listener);
            running.put(next.runId(), driver);
            Thread.ofVirtual().name("run-" + next.runId()).start(() -> drive(driver));
        }
    }

    private void drive(RunDriver driver) {
        try {
            driver.run();
        } catch (RuntimeException | Error e) {
            log.error("run {} failed inside the engine", driver.runId(), e);
        } finally {
            lock.lock();
            try {
                running.remove(driver.runId());
                dispatch();
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Cancels a run: a queued one ends {@code cancelled} at once; a running one has its
     * current step stopped (a script's process tree killed) and ends {@code cancelled}.
     */
    public CancelOutcome cancel(UUID runId) {
        QueuedRun wasQueued;
        lock.lock();
        try {
            wasQueued = queued.remove(runId);
            RunDriver driver = running.get(runId);
            if (driver != null) {
                driver.stop(RunDriver.StopReason.CANCEL);
                return CancelOutcome.ACCEPTED;
            }
        } finally {
            lock.unlock();
        }
        if (wasQueued != null) {
            // Removed from the queue under the lock: no driver will ever own this run, so we emit.
            ObjectNode payload = Json.object().put("status", RunStatus.CANCELLED.wire()).put("duration", 0)
                    .put("error", "cancelled before it started");
            eventLog.append(RunEvent.create(runId, wasQueued.lastSeq() + 1, EventType.RUN_COMPLETE, Json.now(), payload));
            return CancelOutcome.ACCEPTED;
        }
        Optional<RunDetail> run = store.findRun(runId);
        // Neither queued nor running here: it has ended (its run_complete may still be committing).
        return run.isEmpty() ? CancelOutcome.NOT_FOUND : CancelOutcome.ALREADY_ENDED;
    }

    /**
     * Finds what a previous process left unfinished: runs that were running get a
     * {@code run_complete} with status {@code interrupted}, continuing their seq series;
     * runs that were queued are queued again.
     */
    public void recover(WorkflowValidator validator) {
        Instant now = Json.now();
        for (RunDetail run : store.runsWithStatus(Set.of(RunStatus.RUNNING))) {
            listener.recovered(run.runId(), run.workflowId());
            long duration = run.startedAt() == null ? 0 : Duration.between(run.startedAt(), now).toMillis();
            ObjectNode payload = Json.object().put("status", RunStatus.INTERRUPTED.wire()).put("duration", duration)
                    .put("error", "the server stopped while the run was running");
            eventLog.append(RunEvent.create(run.runId(), run.lastSeq() + 1, EventType.RUN_COMPLETE, now, payload));
            log.info("run {} was running when the server stopped: marked interrupted", run.runId());
        }
        List<QueuedRun> requeued = new ArrayList<>();
        for (RunDetail run : store.runsWithStatus(Set.of(RunStatus.QUEUED))) {
            listener.recovered(run.runId(), run.workflowId());
            try {
                Workflow workflow = validator.validate(Json.parseTrusted(run.definition()), run.workflowId());
                requeued.add(new QueuedRun(run.runId(), workflow, run.workflowVersion(), (ObjectNode) run.inputs(), run.lastSeq()));
            } catch (InvalidException e) {
                ObjectNode payload = Json.object().put("status", RunStatus.FAILED.wire()).put("duration", 0)
                        .put("error", "the workflow this run was queued with is no longer valid here: " + e.getMessage());
                eventLog.append(RunEvent.create(run.runId(), run.lastSeq() + 1, EventType.RUN_COMPLETE, now, payload));
            }
        }
        lock.lock();
        try {
            requeued.forEach(run -> queued.put(run.runId(), run));
            dispatch();
        } finally {
            lock.unlock();
        }
        if (!requeued.isEmpty()) {
            log.info("{} queued runs from before the restart are queued again", requeued.size());
        }
    }

    /** Runs executing now. */
    public int runningCount() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /** Runs waiting for a slot now. */
    public int queuedCount() {
        lock.lock();
        try {
            return queued.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops taking runs, stops the running ones (they end {@code interrupted}, their scripts
     * killed) and waits up to {@code timeout} for them to finish. Queued runs stay queued in
     * the store and run at the next start.
     */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            closed = true;
            running.values().forEach(driver -> driver.stop(RunDriver.StopReason.SHUTDOWN));
            while (!running.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn("{} runs did not stop in time", running.size());
                    return;
                }
                idle.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
