package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.StepStatus;
import dev.stepstream.execution.ChildRuns;
import dev.stepstream.execution.StepAction;
import dev.stepstream.execution.StepContext;
import dev.stepstream.execution.StepResult;
import dev.stepstream.json.Json;
import java.util.UUID;

/**
 * {@code type: workflow}: starts a run of another workflow, a child of this step's run, and
 * waits for it; the step ends with the child's status (an interrupted child fails it). Its
 * outputs are the child's {@code runId}, {@code status} and final {@code variables}. A stop of
 * the step (the parent's cancel, a timeout) cancels the child.
 */
final class WorkflowStep implements StepAction {

    @Override
    public StepResult run(StepContext ctx) throws Exception {
        String workflowId = StepActions.text(ctx.field("workflow"));
        JsonNode inputs = ctx.field("inputs");
        ChildRuns children = ctx.children();
        ChildRuns.Child started = children.start(workflowId, inputs);
        UUID child = started.runId();
        ctx.log(LogLevel.INFO, (started.takenUp() ? "took up again run " : "started run ") + child
                + " of workflow \"" + workflowId + "\"");
        ChildRuns.Ending ending;
        try {
            ending = children.await(child);
        } catch (InterruptedException e) {
            children.cancel(child);
            ctx.log(LogLevel.INFO, "cancelled run " + child);
            throw e;
        }
        ObjectNode outputs = Json.object().put("runId", child.toString()).put("status", ending.status().wire());
        outputs.set("variables", ending.variables());
        String said = "run " + child + " of workflow \"" + workflowId + "\" ended " + ending.status().wire();
        ctx.log(LogLevel.INFO, said + (ending.error() == null ? "" : ": " + ending.error()));
        StepResult result = switch (ending.status()) {
            case SUCCESS -> StepResult.ok();
            case CANCELLED -> new StepResult(StepStatus.CANCELLED, said, null);
            default -> StepResult.failed(said + (ending.error() == null ? "" : ": " + ending.error()));
        };
        return result.withOutputs(outputs);
    }
}
