package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A run's projection. Nullable: {@code startedAt}, {@code finishedAt}, {@code durationMs},
 * {@code error}, {@code retryOf} (set for a run a retry made). {@code lastSeq} is 0 before the
 * first event. {@code trigger} says what started it; {@code workflowName} as in {@link RunSummary}.
 * Immutable once built (its JSON nodes are not to be changed).
 */
public record RunDetail(UUID runId, String workflowId, int workflowVersion, RunStatus status, JsonNode inputs,
                        Instant createdAt, Instant startedAt, Instant finishedAt, Long durationMs, String error,
                        long lastSeq, List<StepState> steps, ObjectNode variables, byte[] definition, RunRetry retryOf,
                        RunTrigger trigger, String workflowName) {

    /**
     * One step's projection; {@code attempt} is 0 while pending; {@code outputs} is null until
     * a step_complete carried some (as that event carried them: each value cut at 16 KiB).
     */
    public record StepState(String stepId, String stepName, StepStatus status, int attempt, Instant startedAt,
                            Long durationMs, String error, JsonNode outputs) {}

    /** The row of the runs listing for this run. */
    public RunSummary summary() {
        return new RunSummary(runId, workflowId, workflowVersion, status, createdAt, startedAt, finishedAt, durationMs,
                error, lastSeq, trigger, inputs, workflowName);
    }
}
