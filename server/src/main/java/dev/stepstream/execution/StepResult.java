package dev.stepstream.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.StepStatus;

/**
 * The outcome of one attempt: success, failure with the error the user sees, or cancelled (a
 * child run that was cancelled); and the step's outputs (null for none), which it has
 * whatever the outcome.
 */
public record StepResult(StepStatus status, String error, ObjectNode outputs) {
    private static final StepResult OK = new StepResult(StepStatus.SUCCESS, null, null);

    public static StepResult ok() {
        return OK;
    }

    public static StepResult failed(String error) {
        return new StepResult(StepStatus.FAILED, error, null);
    }

    /** The same outcome, with these outputs. */
    public StepResult withOutputs(ObjectNode outputs) {
        return new StepResult(status, error, outputs);
    }
}
