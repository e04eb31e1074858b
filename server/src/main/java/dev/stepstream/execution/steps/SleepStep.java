package dev.stepstream.execution.steps;

import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepFailedException;
import dev.stepstream.execution.StepResult;
import dev.stepstream.time.Durations;
import java.time.Duration;

/** {@code type: sleep}: waits {@code duration}; cancel and timeout interrupt the wait. */
final class SleepStep implements StepAction {
    @Override
    public StepResult run(StepContext ctx) throws Exception {
        String text = StepActions.text(ctx.field("duration"));
        Duration duration;
        try {
            duration = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new StepFailedException("duration: " + e.getMessage());
        }
        Thread.sleep(duration);
        return StepResult.ok();
    }
}
