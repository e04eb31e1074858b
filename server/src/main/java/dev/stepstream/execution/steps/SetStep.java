package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepResult;
import java.util.Map;

/** {@code type: set}: sets each of {@code vars} (a null value deletes the variable). */
final class SetStep implements StepAction {
    @Override
    public StepResult run(StepContext ctx) throws Exception {
        JsonNode vars = ctx.field("vars");
        for (Map.Entry<String, JsonNode> entry : vars.properties()) {
            ctx.setVariable(entry.getKey(), entry.getValue());
        }
        return StepResult.ok();
    }
}
