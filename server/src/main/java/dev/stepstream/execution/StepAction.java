package dev.stepstream.execution;

/**
 * One step type. {@link #run} performs one attempt. It reports an ordinary failure by
 * returning {@link StepResult#failed} or throwing {@link StepFailedException}; it must end
 * promptly when its thread is interrupted (cancel, timeout), releasing what it started.
 */
@FunctionalInterface
public interface StepAction {
    StepResult run(StepContext ctx) throws Exception;
}
