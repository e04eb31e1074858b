package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredVersion;
import dev.stepstream.time.Clock;
import dev.stepstream.workflow.StepKind;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a run that no driver owns is ended (docs/architecture.md, "Ending a run without
 * its driver"): as a driver that stops a run does, each step its log leaves {@code running} or
 * {@code waiting} gets a {@code step_complete} {@code cancelled} (its duration from its start,
 * no error, as the driver's: why is the run's), then the run its {@code run_complete} (its duration from the
 * run's start, 0 only if it never started). So a client that builds the run from its events
 * shows what the run detail shows, and no step runs for ever in it. A child run that an open
 * {@code workflow} step waits for is cancelled after, as the driver cancels it.
 *
 * <p>Who may call it: only the node that owns the run in the store and has no driver of it —
 * the node that claimed it to end it ({@link Executor}: a cancel of a run no node holds, a skip
 * at its key's limit, a definition no longer valid here, a cancel found at the claim, a log that
 * does not rebuild), or the node that adopted it from a dead one ({@link NodeLease}). The claim
 * or the adoption made this node the run's owner in the transaction that read {@code lastSeq};
 * from then on the store's fence refuses every other node's batch for it ({@code owner = writer}
 * in {@code BatchWriter}), and no driver of it runs here. So nothing is appended to the run
 * meanwhile but what this call appends: the steps it reads after the claim are the log's at
 * {@code lastSeq}, and its events take the seqs after it, with no gap. It appends them one after
 * the other on the calling thread, and the event log commits them in that order.
 *
 * <p>Stateless; blocks on the store (callers run on virtual threads).
 */
final class DriverlessEnd {
    /** The error of a run cancelled once it started, whoever ends it (its driver too). */
    static final String CANCELLED = "cancelled";
    /** The error of a run cancelled before its run_start. */
    static final String CANCELLED_BEFORE_START = "cancelled before it started";
    /** The error of a run whose node stopped or died while it ran, whoever ends it (its driver too). */
    static final String INTERRUPTED = "the server stopped while the run was running";

    private static final Logger log = LoggerFactory.getLogger(DriverlessEnd.class);

    private final SecretSource secrets;
    private final Store store;
    private final EventLog eventLog;
    private final RunListener listener;
    private final Clock clock;

    /** Cancels a run whichever node holds it ({@link Executor#cancel}): a child the run leaves unfinished. */
    private final Consumer<UUID> cancelRun;

    DriverlessEnd(Store store, EventLog eventLog, RunListener listener, Clock clock, SecretSource secrets, Consumer<UUID> cancelRun) {
        this.secrets = secrets;
        this.cancelRun = cancelRun;
        this.store = store;
        this.eventLog = eventLog;
        this.listener = listener;
        this.clock = clock;
    }

    /** Ends a cancelled run: its error {@code cancelled}, or {@code cancelled before it started} when it has no event yet. */
    void cancel(UUID runId, String workflowId, long lastSeq) {
        end(runId, workflowId, lastSeq, RunStatus.CANCELLED, lastSeq > 0 ? CANCELLED : CANCELLED_BEFORE_START);
    }

    /**
     * Ends the run {@code status} with {@code error}, after the steps it leaves open, at the seqs
     * after {@code lastSeq}: the run's last seq when this node took it (by a claim or an adoption).
     */
    void end(UUID runId, String workflowId, long lastSeq, RunStatus status, String error) {
        // Told before its events commit, so that the all-runs stream files them under the run's
        // workflow on a node that has not seen its run_start (one started since the run parked).
        listener.recovered(runId, workflowId);
        Instant now = clock.now();
        RunDetail run = read(runId, lastSeq).orElse(null);
        long seq = lastSeq;
        if (run != null) {
            Map<String, StepKind> kinds = null;
            for (RunDetail.StepState step : run.steps()) {
                if (step.status() == StepStatus.RUNNING || step.status() == StepStatus.WAITING) {
                    // As the driver ends a step it cuts off: no error (API.md: "error only when
                    // failed"; why is the run_complete's), no outputs (it made none).
                    long duration = millisSince(step.startedAt(), now);
                    ObjectNode payload = EndPayloads.stepComplete(step.stepId(), step.stepName(), StepStatus.CANCELLED,
                            duration, step.attempt());
                    EndPayloads.putOutputs(payload, null);
                    eventLog.append(RunEvent.create(runId, ++seq, EventType.STEP_COMPLETE, now, payload));
                    kinds = kinds == null ? stepKinds(run) : kinds;
                    StepKind kind = kinds.get(step.stepId());
                    if (kind != null) {
                        listener.stepCompleted(kind, StepStatus.CANCELLED, duration); // as the driver tells each step's end
                    }
                }
            }
        }
        // The error may quote the workflow or a store's message: masked as a run's own would be.
        ObjectNode payload = EndPayloads.runComplete(status, run == null ? 0 : millisSince(run.startedAt(), now),
                secrets.defined().mask(error));
        eventLog.append(RunEvent.create(runId, ++seq, EventType.RUN_COMPLETE, now, payload));
        if (run != null) {
            cancelChildren(run);
        }
    }

    /**
     * Cancels the child runs that the run's open steps wait for, as its driver does when it stops
     * a {@code workflow} step: nobody waits for them now (a child that can resume would otherwise
     * run on, for nobody). A child's own children follow, by its driver or by this same rule.
     */
    private void cancelChildren(RunDetail run) {
        for (RunDetail.StepState step : run.steps()) {
            if (step.status() != StepStatus.RUNNING && step.status() != StepStatus.WAITING) {
                continue;
            }
            try {
                store.unfinishedChild(run.runId(), step.stepId()).ifPresent(child -> {
                    log.info("run {} ended without its driver: its step {}'s child run {} is cancelled", run.runId(), step.stepId(), child);
                    cancelRun.accept(child);
                });
            } catch (RuntimeException e) {
                log.warn("could not cancel the child run of step {} of run {}: {}", step.stepId(), run.runId(), e.getMessage());
            }
        }
    }

    /**
     * The run as its log stood at {@code lastSeq}; empty when the store cannot say (it failed, or
     * — a bug — holds the run at another seq). The run is this node's now, and nobody else will
     * end it: it ends all the same, with its run_complete alone (the store and every fold still
     * show its open steps cancelled, by the one rule of run state).
     */
    private Optional<RunDetail> read(UUID runId, long lastSeq) {
        try {
            Optional<RunDetail> run = store.findRun(runId);
            if (run.isPresent() && run.get().lastSeq() == lastSeq) {
                return run;
            }
            log.error("BUG: run {} was taken at seq {} but the store has it {}: it ends with its run_complete alone",
                    runId, lastSeq, run.map(found -> "at seq " + found.lastSeq()).orElse("no more"));
        } catch (RuntimeException e) {
            log.warn("could not read run {} to end its open steps: it ends with its run_complete alone: {}", runId, e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * The type of each step of the run's workflow, from the version the run ran (kept after the
     * workflow changes or goes), for the step metrics; empty when it cannot be read, and those
     * steps go uncounted.
     */
    private Map<String, StepKind> stepKinds(RunDetail run) {
        try {
            Optional<StoredVersion> version = store.findWorkflowVersion(run.workflowId(), run.workflowVersion());
            if (version.isEmpty()) {
                return Map.of();
            }
            Map<String, StepKind> kinds = new HashMap<>();
            for (JsonNode step : Json.parseTrusted(version.get().definition()).path("steps")) {
                kinds.put(step.path("id").asText(), StepKind.valueOf(step.path("type").asText().toUpperCase(Locale.ROOT)));
            }
            return kinds;
        } catch (RuntimeException e) {
            log.warn("could not read the steps of run {}'s workflow: the steps it ended go uncounted in the metrics: {}",
                    run.runId(), e.getMessage());
            return Map.of();
        }
    }

    private static long millisSince(Instant start, Instant now) {
        return start == null ? 0 : Math.max(0, Duration.between(start, now).toMillis());
    }
}
