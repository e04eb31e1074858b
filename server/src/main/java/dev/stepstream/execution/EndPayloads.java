package dev.stepstream.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;

/**
 * The payloads that end a step and a run, as API.md gives them, for both who end them: a run's
 * driver ({@link RunDriver}) and the end of a run no driver holds ({@link DriverlessEnd}).
 * Stateless.
 */
final class EndPayloads {
    private EndPayloads() {
    }

    /**
     * {@code step_complete}'s fields that every step has; the caller adds what its step has more
     * ({@code decision}, {@code reused}, {@code error}), then its outputs ({@link #putOutputs}).
     */
    static ObjectNode stepComplete(String stepId, String stepName, StepStatus status, long durationMs, int attempt) {
        return Json.object().put("stepId", stepId).put("stepName", stepName).put("status", status.wire())
                .put("duration", durationMs).put("attempt", attempt);
    }

    /** Puts the step's outputs, {@code {}} for none (null or empty): every step_complete has them. */
    static void putOutputs(ObjectNode stepComplete, ObjectNode outputs) {
        if (outputs == null || outputs.isEmpty()) {
            stepComplete.putObject("outputs");
        } else {
            stepComplete.set("outputs", outputs);
        }
    }

    /** {@code run_complete}: {@code error} is null for a success, and always there. */
    static ObjectNode runComplete(RunStatus status, long durationMs, String error) {
        return Json.object().put("status", status.wire()).put("duration", durationMs).put("error", error);
    }
}
