package dev.stepstream.execution;

/** The outcome of one attempt: success, or failure with the error the user sees. */
public record StepResult(boolean success, String error) {
    private static final StepResult OK = new StepResult(true, null);

    public static StepResult ok() {
        return OK;
    }

    public static StepResult failed(String error) {
        return new StepResult(false, error);
    }
}
