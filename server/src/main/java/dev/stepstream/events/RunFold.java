package dev.stepstream.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one rule by which a run's events make its state (docs/architecture.md, "One rule for run
 * state"). The store folds each committed batch with it into the projection it writes, and a
 * run's whole log folded from its start gives the run as the store shows it, which is what a
 * node needs to take a run up where another left it. The web page's {@code runstate.mjs} is the
 * same rule in JavaScript, held to it by the shared fixtures.
 *
 * <p>A {@link Run} may start from a known status (a run rebuilt from its first event is
 * {@code queued}), or from none ({@code status} null: a batch, whose run's stored status only
 * the store knows); moves are checked against the status once it is known.
 */
public final class RunFold {
    private RunFold() {}

    /**
     * A run's state as its events made it. Null fields are not known yet (or, for a batch, left
     * as stored). Owned by one thread.
     */
    public static final class Run {
        /** Null until known: the stored status of a batch's run is the store's to check. */
        public RunStatus status;
        public Long startedAt;
        public Long finishedAt;
        public Long durationMs;
        /** Set by run_complete, which also sets {@link #error} (null when it carries none). */
        public boolean completed;
        /**
         * Whether {@link #steps} holds every step of the run (a run folded from queued), so that
         * the fold itself can tell {@code running} from {@code waiting}; a batch's fold holds only
         * the steps its events touch, and leaves that to the store ({@link #stepsMoved}).
         */
        public boolean allSteps;
        /** Whether an event moved a step to running, waiting or an end: the run may have moved between running and waiting. */
        public boolean stepsMoved;
        public String error;
        /** The seq of the last event folded in; 0 before any. */
        public long lastSeq;
        /** By step id, in the order they were declared (when seeded) or first touched. */
        public final Map<String, Step> steps = new LinkedHashMap<>();
        /** By name: the value now, or null for a variable deleted (so a batch knows to delete it). */
        public final Map<String, JsonNode> variables = new LinkedHashMap<>();

        /** A run before any event: queued, with these steps pending. */
        public static Run queued(Iterable<Map.Entry<String, String>> stepIdsAndNames) {
            Run run = new Run();
            run.status = RunStatus.QUEUED;
            run.allSteps = true;
            for (Map.Entry<String, String> step : stepIdsAndNames) {
                Step pending = new Step(step.getKey());
                pending.stepName = step.getValue();
                pending.status = StepStatus.PENDING;
                run.steps.put(step.getKey(), pending);
            }
            return run;
        }

        /** The variables that exist now, by name. */
        public Map<String, JsonNode> currentVariables() {
            Map<String, JsonNode> current = new LinkedHashMap<>();
            variables.forEach((name, value) -> {
                if (value != null) {
                    current.put(name, value);
                }
            });
            return current;
        }
    }

    /**
     * A step's state. Status, attempt, duration, error and outputs are the last word of its
     * events (step_start clears duration, end, error and outputs); {@code startedAt} is set by a
     * step_start only, so a step skipped without starting has none, and {@code finishedAt} by a
     * step_complete, so such a step has an end all the same.
     */
    public static final class Step {
        public final String stepId;
        public String stepName;
        public StepStatus status;
        public int attempt;
        public Long startedAt;
        public Long durationMs;
        public Long finishedAt;
        public String error;
        /** As its last step_complete carried them, or null for none. */
        public JsonNode outputs;
        /** An approval's decision, as its step_complete carried it; null for none. */
        public JsonNode decision;
        /**
         * Only its status is known here: a batch's step that only a step_waiting touched (its
         * attempt, start and the rest are the stored ones).
         */
        public boolean statusOnly;

        Step(String stepId) {
            this.stepId = stepId;
        }
    }

    /**
     * Folds one event into the run. The caller checks that seqs follow each other.
     *
     * @throws IllegalArgumentException when the event cannot follow the run's known status (a
     *         run that has ended takes nothing more), or its payload lacks what the state needs
     */
    public static void apply(Run run, RunEvent event) {
        run.lastSeq = event.seq();
        if (event.type() == EventType.STEP_LOG) {
            requireRunning(run, event.type());
            return; // nothing of it is state: its payload is not even parsed
        }
        JsonNode payload = event.payload();
        long time = event.time().toEpochMilli();
        switch (event.type()) {
            case RUN_START -> {
                moveTo(run, RunStatus.RUNNING);
                run.startedAt = time;
            }
            case RUN_COMPLETE -> {
                moveTo(run, event.endStatus());
                run.finishedAt = time;
                run.durationMs = optionalLong(payload, "duration");
                run.completed = true;
                run.error = optionalText(payload, "error");
                // A finished run has no running step: one cut off (cancel, shutdown, a node's
                // death) shows cancelled. The store does the same for the steps not in a batch.
                run.steps.values().forEach(step -> {
                    if (step.status == StepStatus.RUNNING || step.status == StepStatus.WAITING) {
                        step.status = StepStatus.CANCELLED;
                    }
                });
            }
            case STEP_START -> {
                requireRunning(run, event.type());
                Step step = step(run, payload);
                step.statusOnly = false;
                step.status = StepStatus.RUNNING;
                step.attempt = integer(payload, "attempt");
                step.startedAt = time;
                step.durationMs = null;
                step.finishedAt = null;
                step.error = null;
                step.outputs = null;
                step.decision = null;
                stepMoved(run);
            }
            case STEP_COMPLETE -> {
                requireRunning(run, event.type());
                Step step = step(run, payload);
                step.statusOnly = false;
                step.status = StepStatus.fromWire(text(payload, "status"));
                step.attempt = integer(payload, "attempt");
                step.durationMs = optionalLong(payload, "duration");
                step.finishedAt = time;
                step.error = optionalText(payload, "error");
                JsonNode outputs = payload.get("outputs");
                step.outputs = outputs == null || outputs.isNull() ? null : outputs;
                JsonNode decision = payload.get("decision");
                step.decision = decision == null || decision.isNull() ? null : decision;
                stepMoved(run);
            }
            case STEP_WAITING -> {
                requireRunning(run, event.type());
                step(run, payload).status = StepStatus.WAITING;
                stepMoved(run);
            }
            case VARIABLE_CHANGE -> {
                requireRunning(run, event.type());
                run.variables.put(text(payload, "varName"), variableValue(event));
            }
            case RUN_RESUMED -> requireRunning(run, event.type()); // the restarted steps' step_start follow
            case STEP_LOG -> { } // handled above
        }
    }

    /**
     * The value a {@code variable_change} gives its variable, or null when it deletes it: the
     * whole value when the event has it ({@link RunEvent#fullValue}, a value over 16 KiB whose
     * payload carries a preview), else the payload's {@code newValue}. An event with a preview
     * but not its whole value (read from a stream, which carries the envelope alone) gives the
     * preview, a JSON string: the web page's fold shows that.
     *
     * @throws IllegalArgumentException when the payload's changeType is missing or unknown
     */
    public static JsonNode variableValue(RunEvent event) {
        JsonNode payload = event.payload();
        return switch (text(payload, "changeType")) {
            case "create", "update" -> {
                JsonNode whole = event.fullValue();
                JsonNode newValue = whole != null ? whole : payload.get("newValue");
                yield newValue == null ? NullNode.getInstance() : newValue;
            }
            case "delete" -> null;
            default -> throw new IllegalArgumentException("changeType must be create, update or delete");
        };
    }

    /**
     * The rule of {@code waiting}: a run that is going on waits when every step it started and
     * has not ended waits for a decision (and one does), else it runs. The store applies it to
     * the steps it holds when a batch moved some ({@link Run#stepsMoved}).
     */
    public static RunStatus runningOrWaiting(boolean anyStepRunning, boolean anyStepWaiting) {
        return anyStepWaiting && !anyStepRunning ? RunStatus.WAITING : RunStatus.RUNNING;
    }

    /** A step moved: a run that knows all its steps settles running or waiting at once. */
    private static void stepMoved(Run run) {
        run.stepsMoved = true;
        if (run.allSteps && (run.status == RunStatus.RUNNING || run.status == RunStatus.WAITING)) {
            boolean running = false;
            boolean waiting = false;
            for (Step step : run.steps.values()) {
                running |= step.status == StepStatus.RUNNING;
                waiting |= step.status == StepStatus.WAITING;
            }
            run.status = runningOrWaiting(running, waiting);
        }
    }

    /** A step's or variable's event needs a run that is going on (when its status is known). */
    private static void requireRunning(Run run, EventType type) {
        if (run.status != null && run.status != RunStatus.RUNNING && run.status != RunStatus.WAITING) {
            throw new IllegalArgumentException("a run that is " + run.status.wire() + " takes no " + type.wire());
        }
    }

    private static void moveTo(Run run, RunStatus next) {
        if (run.status != null && !run.status.canMoveTo(next)) {
            throw new IllegalArgumentException("a run cannot go from " + run.status.wire() + " to " + next.wire());
        }
        run.status = next;
    }

    /**
     * The step an event is of. A step keeps the name it was declared with; an event's
     * {@code stepName} names only a step the run did not declare, which is added after the others.
     */
    private static Step step(Run run, JsonNode payload) {
        String stepId = text(payload, "stepId");
        Step step = run.steps.get(stepId);
        if (step == null) {
            step = new Step(stepId);
            String name = optionalText(payload, "stepName");
            step.stepName = name != null ? name : stepId;
            step.status = StepStatus.PENDING;
            step.statusOnly = !run.allSteps; // a batch's: what it knows of the step is what its events say
            run.steps.put(stepId, step);
        }
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
}
