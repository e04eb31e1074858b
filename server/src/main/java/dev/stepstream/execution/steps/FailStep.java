package dev.stepstream.execution.steps;

import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepResult;

/** {@code type: fail}: fails with {@code message}. */
final class FailStep implements StepAction {
    @Override
    public StepResult run(StepContext ctx) throws Exception {
        String message = StepActions.text(ctx.field("message"));
        return StepResult.failed(message.isEmpty() ? "failed" : message);
    }
}
