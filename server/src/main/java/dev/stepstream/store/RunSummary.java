package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * One row of the runs listing; {@code trigger} says what started the run; {@code inputs} are
 * its bound inputs; {@code workflowName} is the name in the definition it was queued with (its
 * workflow id when that has none); {@code lastStep} the step that moved last ({@link StepMark}),
 * null when none has started.
 */
public record RunSummary(UUID runId, String workflowId, int workflowVersion, RunStatus status, Instant createdAt,
                         Instant startedAt, Instant finishedAt, Long durationMs, String error, long lastSeq,
                         RunTrigger trigger, JsonNode inputs, String workflowName, StepMark lastStep) implements RunHead {

    RunSummary withLastStep(StepMark mark) {
        return new RunSummary(runId, workflowId, workflowVersion, status, createdAt, startedAt, finishedAt, durationMs,
                error, lastSeq, trigger, inputs, workflowName, mark);
    }
}
