package dev.stepstream.execution.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.execution.StepAction;
import dev.stepstream.workflow.StepKind;

/** The step types, one class each; this is their one public face. */
public final class StepActions {
    private StepActions() {}

    public static StepAction forKind(StepKind kind) {
        return switch (kind) {
            case LOG -> new LogStep();
            case SET -> new SetStep();
            case SLEEP -> new SleepStep();
            case HTTP -> new HttpStep();
            case SCRIPT -> new ScriptStep();
            case FAIL -> new FailStep();
            case WORKFLOW -> new WorkflowStep();
            case APPROVAL -> throw new IllegalArgumentException("an approval has no action: its run's driver waits for the decision");
        };
    }

    /** A rendered value as text: strings as they are, other JSON as JSON text, absent as "". */
    public static String text(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "";
        }
        return value.isTextual() ? value.asText() : value.toString();
    }
}
