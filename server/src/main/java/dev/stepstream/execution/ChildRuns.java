package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.RunStatus;
import java.util.UUID;

/**
 * What a {@code workflow} step may do with runs: start a child of its own run, wait for it to
 * end, cancel it. The child is queued like any run, so any node may execute it.
 */
public interface ChildRuns {
    /** How deep runs may nest: a step of a run at this depth fails rather than start a child. */
    int MAX_DEPTH = 8;

    /** How a child run ended: its status and error, and its variables as they were at its end. */
    record Ending(RunStatus status, String error, ObjectNode variables) {}

    /** The child run the step waits for, and whether it was started before (the step's run was resumed). */
    record Child(UUID runId, boolean takenUp) {}

    /**
     * Queues a run of {@code workflowId} with {@code inputs}, as a child of the step's run; or,
     * when the attempt of this step that a resume cut off had started a child (its run was
     * handed over to this node and resumed), takes that one up instead, whether it has ended
     * meanwhile or not.
     *
     * @throws StepFailedException naming what is wrong: no such workflow, inputs that do not fit
     *         it, nesting deeper than {@link #MAX_DEPTH}, a concurrency key whose every slot the
     *         runs above it hold (it could never start), a full queue
     */
    Child start(String workflowId, JsonNode inputs) throws StepFailedException;

    /** Waits until the run has ended. */
    Ending await(UUID runId) throws InterruptedException;

    /**
     * Cancels the run, whichever node executes it; nothing when it has ended, or when the step's
     * own run is being handed back (the node that resumes it takes the child up).
     */
    void cancel(UUID runId);
}
