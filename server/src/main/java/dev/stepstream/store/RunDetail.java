package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
                        RunTrigger trigger, String workflowName) implements RunHead {

    /**
     * One step's projection; {@code attempt} is 0 while pending; {@code outputs} is null until
     * a step_complete carried some (as that event carried them: each value cut at 16 KiB).
     */
    /** A step as stored: {@code finishedAt} is its end (null while it runs or waits), which a step skipped without starting has too. */
    public record StepState(String stepId, String stepName, StepStatus status, int attempt, Instant startedAt,
                            Long durationMs, String error, JsonNode outputs, Instant finishedAt) {}

    /** The row of the runs listing for this run. */
    public RunSummary summary() {
        return new RunSummary(runId, workflowId, workflowVersion, status, createdAt, startedAt, finishedAt, durationMs,
                error, lastSeq, trigger, inputs, workflowName, StepMark.latest(steps));
    }

    /**
     * This run as {@code state} says it was: what its creation fixed (ids, version, inputs,
     * definition, trigger, retryOf) kept, everything its events make taken from the fold,
     * mapped as the store maps a fold into its rows ({@link BatchWriter}): steps in the fold's
     * order (declared, then those first met in events), variables by name as the store lists them.
     *
     * @param state a run folded from {@link RunFold.Run#queued} ({@link RunReplay})
     */
    public RunDetail asOf(RunFold.Run state) {
        List<StepState> folded = new ArrayList<>(state.steps.size());
        for (RunFold.Step step : state.steps.values()) {
            folded.add(new StepState(step.stepId, step.stepName, step.status, step.attempt, instant(step.startedAt),
                    step.durationMs, step.error, step.outputs, instant(step.finishedAt)));
        }
        ObjectNode values = Json.object();
        new TreeMap<>(state.currentVariables()).forEach(values::set);
        return new RunDetail(runId, workflowId, workflowVersion, state.status, inputs, createdAt,
                instant(state.startedAt), instant(state.finishedAt), state.durationMs, state.error, state.lastSeq,
                List.copyOf(folded), values, definition, retryOf, trigger, workflowName);
    }

    /**
     * The steps the run was queued with, in order, by id and name, from its definition (a step's
     * name defaults to its id): where a fold of its log starts ({@link RunFold.Run#queued}).
     */
    public List<Map.Entry<String, String>> declaredSteps() {
        List<Map.Entry<String, String>> declared = new ArrayList<>();
        for (JsonNode step : Json.parseTrusted(definition).path("steps")) {
            String id = step.path("id").asText();
            JsonNode name = step.get("name");
            declared.add(Map.entry(id, name != null && name.isTextual() ? name.textValue() : id));
        }
        return declared;
    }

    private static Instant instant(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
