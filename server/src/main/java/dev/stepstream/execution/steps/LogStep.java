package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.LogLevel;
import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepResult;

/** {@code type: log}: writes {@code message} at {@code level} (default info). */
final class LogStep implements StepAction {
    @Override
    public StepResult run(StepContext ctx) throws Exception {
        JsonNode level = ctx.field("level");
        LogLevel logLevel = level == null ? LogLevel.INFO : LogLevel.fromWire(level.asText());
        ctx.log(logLevel, StepActions.text(ctx.field("message")));
        return StepResult.ok();
    }
}
