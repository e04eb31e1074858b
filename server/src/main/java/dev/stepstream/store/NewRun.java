package dev.stepstream.store;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A run about to be queued: the workflow version and definition it runs (a snapshot, so that
 * replacing or deleting the workflow later does not change it), its bound inputs (JSON) and
 * its steps in order; {@code parent} is null unless a {@code workflow} step started it;
 * {@code resumable} when its workflow says {@code onInterrupt: resume}; {@code approvals} when it
 * has approval steps (it may wait for decisions); {@code retry} is null unless a retry made it;
 * {@code trigger} says what started it; {@code concurrency} is null unless its workflow limits
 * how many runs of a key run at once.
 */
public record NewRun(UUID runId, String workflowId, int workflowVersion, byte[] definition, byte[] inputs,
                     Instant createdAt, List<StepRef> steps, RunParent parent, boolean resumable, boolean approvals,
                     RunRetry retry, RunTrigger trigger, RunConcurrency concurrency) {

    /** A run that no other run started. */
    public NewRun(UUID runId, String workflowId, int workflowVersion, byte[] definition, byte[] inputs,
                  Instant createdAt, List<StepRef> steps) {
        this(runId, workflowId, workflowVersion, definition, inputs, createdAt, steps, null, false, false, null,
                RunTrigger.MANUAL, null);
    }

    public record StepRef(String stepId, String stepName) {}
}
