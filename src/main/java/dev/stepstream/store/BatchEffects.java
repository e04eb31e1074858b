package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.json.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one batch of events does to the run, step and variable projections, folded per run so
 * that a commit costs one statement per touched row rather than one per event: a run that
 * logged 2,000 lines and changed one variable twice costs one {@code UPDATE runs} and one
 * variable upsert. Events of a run are applied in seq order; the last word on a field wins.
 *
 * <p>Built and used by the committer thread within one {@link JdbcStore#commit}; not shared.
 */
final class BatchEffects {

    /** A run's net change. Null fields are left as stored. */
    static final class RunEffect {
        final UUID id;
        final String runId;
        final long firstSeq;
        long lastSeq;
        RunStatus status;
        Long startedAt;
        Long finishedAt;
        Long durationMs;
        /**
         * The statuses the stored run may have for this batch to apply, by {@link RunStatus#canMoveTo}:
         * queued before a run_start, running before anything else but a run_complete, which may
         * also end a queued run. Set by the batch's first event of the run.
         */
        List<RunStatus> from;
        /** Set by run_complete, which also sets {@link #error} (null when it carries none). */
        boolean completed;
        String error;
        /** By step id, in the order the batch first touched them. */
        final Map<String, StepEffect> steps = new LinkedHashMap<>();
        /** By name: the new value as JSON bytes, or null when the variable was deleted. */
        final Map<String, byte[]> variables = new LinkedHashMap<>();

        RunEffect(UUID id, long firstSeq) {
            this.id = id;
            this.runId = id.toString();
            this.firstSeq = firstSeq;
            this.lastSeq = firstSeq - 1;
        }
    }

    /**
     * A step's net change. Status, attempt, duration, error and outputs are always written
     * (step_start clears duration, error and outputs); startedAt only when a step_start was in
     * the batch, so that a step_complete keeps the stored start, and a step skipped without
     * starting has none.
     */
    static final class StepEffect {
        final String stepId;
        String stepName;
        StepStatus status;
        int attempt;
        Long startedAt;
        Long durationMs;
        String error;
        /** The outputs as JSON bytes, or null for none. */
        byte[] outputs;

        StepEffect(String stepId) {
            this.stepId = stepId;
        }
    }

    private final Map<UUID, RunEffect> byRun;

    private BatchEffects(Map<UUID, RunEffect> byRun) {
        this.byRun = byRun;
    }

    /**
     * @throws IllegalArgumentException naming the event when a run's events in the batch are
     *         not consecutive ascending seqs, or a payload lacks what its projection needs
     */
    static BatchEffects fold(List<RunEvent> batch) {
        Map<UUID, RunEffect> byRun = new HashMap<>();
        RunEffect run = null; // the previous event's: a flood's batch is mostly one run's
        for (RunEvent event : batch) {
            if (run == null || !run.id.equals(event.runId())) {
                run = byRun.get(event.runId());
                if (run == null) {
                    run = new RunEffect(event.runId(), event.seq());
                    byRun.put(event.runId(), run);
                }
            }
            if (event.seq() != run.lastSeq + 1) {
                throw new IllegalArgumentException("events of run " + run.runId + " in one batch must have consecutive seqs: "
                        + event.seq() + " follows " + run.lastSeq);
            }
            run.lastSeq = event.seq();
            try {
                apply(run, event);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("event " + event + ": " + e.getMessage(), e);
            }
        }
        return new BatchEffects(byRun);
    }

    private static void apply(RunEffect run, RunEvent event) {
        if (event.type() == EventType.STEP_LOG) {
            requireRunning(run, event.type());
            return; // only lastSeq, which every event moves; its payload is not even parsed
        }
        JsonNode payload = event.payload();
        long time = event.time().toEpochMilli();
        switch (event.type()) {
            case RUN_START -> {
                moveTo(run, RunStatus.RUNNING);
                run.startedAt = time;
            }
            case RUN_COMPLETE -> {
                moveTo(run, RunStatus.fromWire(text(payload, "status")));
                run.finishedAt = time;
                run.durationMs = optionalLong(payload, "duration");
                run.completed = true;
                run.error = optionalText(payload, "error");
            }
            case STEP_START, STEP_COMPLETE, VARIABLE_CHANGE -> {
                requireRunning(run, event.type());
                applyToStepsAndVariables(run, event.type(), payload, time);
            }
            case STEP_LOG -> { } // handled above
        }
    }

    /**
     * A step's or variable's event needs a running run: as the batch's first event of the run,
     * a stored status of running (checked by the commit); later, no status change before it in
     * the batch but to running.
     */
    private static void requireRunning(RunEffect run, EventType type) {
        if (run.from == null) {
            run.from = List.of(RunStatus.RUNNING);
        } else if (run.status != null && run.status != RunStatus.RUNNING) {
            throw new IllegalArgumentException("a run that is " + run.status.wire() + " takes no " + type.wire());
        }
    }

    /**
     * A status change within the batch, checked against the one before it in the batch, or, for
     * the batch's first, turned into the stored statuses it may follow (checked by the commit).
     */
    private static void moveTo(RunEffect run, RunStatus next) {
        if (run.from == null) {
            run.from = Arrays.stream(RunStatus.values()).filter(status -> status.canMoveTo(next)).toList();
            if (run.from.isEmpty()) {
                throw new IllegalArgumentException("no run can move to " + next.wire());
            }
        } else {
            (run.status == null ? RunStatus.RUNNING : run.status).checkTransition(next);
        }
        run.status = next;
    }

    private static void applyToStepsAndVariables(RunEffect run, EventType type, JsonNode payload, long time) {
        switch (type) {
            case STEP_START -> {
                StepEffect step = step(run, payload);
                step.status = StepStatus.RUNNING;
                step.attempt = integer(payload, "attempt");
                step.startedAt = time;
                step.durationMs = null;
                step.error = null;
                step.outputs = null;
            }
            case STEP_COMPLETE -> {
                StepEffect step = step(run, payload);
                step.status = StepStatus.fromWire(text(payload, "status"));
                step.attempt = integer(payload, "attempt");
                step.durationMs = optionalLong(payload, "duration");
                step.error = optionalText(payload, "error");
                JsonNode outputs = payload.get("outputs");
                step.outputs = outputs == null || outputs.isNull() ? null : Json.bytes(outputs);
            }
            case VARIABLE_CHANGE -> {
                String name = text(payload, "varName");
                // A truncated value is a text preview (a JSON string): stored as given.
                byte[] value = switch (text(payload, "changeType")) {
                    case "create", "update" -> Json.bytes(payload.get("newValue")); // absent: null
                    case "delete" -> null;
                    default -> throw new IllegalArgumentException("changeType must be create, update or delete");
                };
                run.variables.put(name, value);
            }
            default -> throw new IllegalStateException("not a step or variable event: " + type.wire());
        }
    }

    private static StepEffect step(RunEffect run, JsonNode payload) {
        StepEffect step = run.steps.computeIfAbsent(text(payload, "stepId"), StepEffect::new);
        String name = optionalText(payload, "stepName");
        step.stepName = name != null ? name : step.stepId;
        return step;
    }

    private static String text(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("payload field \"" + field + "\" must be a string");
        }
        return node.textValue();
    }

    private static int integer(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new IllegalArgumentException("payload field \"" + field + "\" must be an integer");
        }
        return node.intValue();
    }

    private static String optionalText(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static Long optionalLong(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        return node != null && node.isNumber() ? node.longValue() : null;
    }

    /** The run id text of an event of this batch, computed once per run. */
    String runId(RunEvent event) {
        return byRun.get(event.runId()).runId;
    }

    int runCount() {
        return byRun.size();
    }

    /**
     * The runs of the batch ordered by id: every writer that updates several runs locks their
     * rows in this one order, so two of them cannot deadlock on PostgreSQL.
     */
    List<RunEffect> runs() {
        List<RunEffect> runs = new ArrayList<>(byRun.values());
        runs.sort(Comparator.comparing(run -> run.runId));
        return runs;
    }
}
