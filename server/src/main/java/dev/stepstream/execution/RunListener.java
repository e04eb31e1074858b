package dev.stepstream.execution;

import dev.stepstream.events.StepStatus;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.workflow.StepKind;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Told of runs the executor takes on; called on the thread that does so, and must not block. */
public interface RunListener {
    /** A run was stored as queued (before it can start, so this precedes its run_start). */
    void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger);

    /**
     * This node claimed a queued run and is about to start it (before its run_start): where
     * other nodes' notices may come late, the queueing is told again, so that it precedes the
     * start everywhere. Delivered at most once per run by each node ({@code broker/Relay}).
     */
    default void claimed(UUID runId, String workflowId, int workflowVersion, Instant queuedAt, RunTrigger trigger) {}

    /** At start-up, a run left unfinished by a previous process is being marked or queued again. */
    void recovered(UUID runId, String workflowId);

    /**
     * A step of a run completed, as its step_complete is emitted: on the run's thread, or on the
     * thread that ends a run without its driver ({@link DriverlessEnd}: a step it cancels).
     */
    default void stepCompleted(StepKind type, StepStatus status, long durationMs) {}

    /**
     * A finished run was deleted (its row is gone from the store): its open streams end on every
     * node, and the all-runs stream says {@code run_deleted} on each node the broker tells
     * (docs/api.md). Called on the thread that deleted it, after the delete committed.
     *
     * @param workflowId the run's workflow; null where a node found the run gone without being
     *                   told ({@code broker/Relay}), so knows only its id
     */
    default void deleted(UUID runId, String workflowId) {}

    RunListener NONE = new RunListener() {
        @Override
        public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {}

        @Override
        public void recovered(UUID runId, String workflowId) {}
    };

    /** One listener that tells each of {@code listeners}, in order. */
    static RunListener all(RunListener... listeners) {
        List<RunListener> each = List.of(listeners);
        return new RunListener() {
            @Override
            public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
                each.forEach(listener -> listener.queued(runId, workflowId, workflowVersion, at, trigger));
            }

            @Override
            public void claimed(UUID runId, String workflowId, int workflowVersion, Instant queuedAt, RunTrigger trigger) {
                each.forEach(listener -> listener.claimed(runId, workflowId, workflowVersion, queuedAt, trigger));
            }

            @Override
            public void recovered(UUID runId, String workflowId) {
                each.forEach(listener -> listener.recovered(runId, workflowId));
            }

            @Override
            public void stepCompleted(StepKind type, StepStatus status, long durationMs) {
                each.forEach(listener -> listener.stepCompleted(type, status, durationMs));
            }

            @Override
            public void deleted(UUID runId, String workflowId) {
                each.forEach(listener -> listener.deleted(runId, workflowId));
            }
        };
    }
}
