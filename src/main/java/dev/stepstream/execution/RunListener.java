package dev.stepstream.execution;

import java.time.Instant;
import java.util.UUID;

/** Told of runs the executor takes on; called on the thread that does so, and must not block. */
public interface RunListener {
    /** A run was stored as queued (before it can start, so this precedes its run_start). */
    void queued(UUID runId, String workflowId, int workflowVersion, Instant at);

    /** At start-up, a run left unfinished by a previous process is being marked or queued again. */
    void recovered(UUID runId, String workflowId);

    RunListener NONE = new RunListener() {
        @Override
        public void queued(UUID runId, String workflowId, int workflowVersion, Instant at) {}

        @Override
        public void recovered(UUID runId, String workflowId) {}
    };
}
