package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.StepStatus;
import dev.stepstream.workflow.Step;
import dev.stepstream.workflow.Workflow;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a retry takes over from the run it retries (docs/workflows.md, "Retrying a run"): the
 * steps whose results it reuses, each with how it ended and the variables it set, in the order
 * it set them. Built from the retried run's log, so that a retry claimed by any node reuses the
 * same steps.
 *
 * <p>{@code start} reuses nothing. {@code failed} reuses every step that ended {@code success},
 * or {@code skipped} by its {@code when} (not one skipped for a need that failed). A step id
 * reuses those of the steps before it (in a list) or not downstream of it (in a graph). In a
 * graph a step is reused only when every step it needs is too, so that no reused result rests
 * on a step that runs again.
 */
final class RetryPlan {
    /** A reused step: its end as the retried run's step_complete said, and the variables it set (null: deleted). */
    record Reused(StepStatus status, int attempt, long durationMs, String error, ObjectNode outputs, JsonNode decision,
                  List<Map.Entry<String, JsonNode>> variables) {}

    static final String FROM_FAILED = "failed";
    static final String FROM_START = "start";

    private RetryPlan() {}

    /**
     * @param log  the retried run's whole log, in seq order, with the whole values stored beside
     *             its events ({@code Store.eventsToFold})
     * @param from {@code failed}, {@code start} or a step id of the workflow
     * @return the reused steps by id, in the workflow's order
     */
    static Map<String, Reused> of(Workflow workflow, List<RunEvent> log, String from) {
        if (from.equals(FROM_START)) {
            return Map.of();
        }
        // How each step ended, and the value each variable_change gave, are the one rule of run
        // state's (a value over 16 KiB whole, as the store keeps it beside its event's preview);
        // which step set what, the log's alone.
        RunFold.Run ended = RunFold.Run.queued(workflow.steps().stream().map(step -> Map.entry(step.id(), step.name())).toList());
        Map<String, List<Map.Entry<String, JsonNode>>> set = new HashMap<>();
        for (RunEvent event : log) {
            RunFold.apply(ended, event);
            if (event.type() == EventType.VARIABLE_CHANGE) {
                JsonNode payload = event.payload();
                set.computeIfAbsent(payload.path("stepId").asText(), id -> new ArrayList<>())
                        .add(new AbstractMap.SimpleEntry<>(payload.path("varName").asText(), RunFold.variableValue(event)));
            }
        }
        Set<String> excluded = from.equals(FROM_FAILED) ? Set.of() : rerunWith(workflow, from);
        Map<String, Reused> reused = new HashMap<>();
        for (Step step : topological(workflow)) {
            RunFold.Step end = ended.steps.get(step.id());
            if (excluded.contains(step.id()) || !reusable(end)) {
                continue;
            }
            if (workflow.isGraph() && !step.needs().stream().allMatch(reused::containsKey)) {
                continue;
            }
            reused.put(step.id(), new Reused(end.status, end.attempt, end.durationMs == null ? 0 : end.durationMs, end.error,
                    end.outputs instanceof ObjectNode outputs ? outputs : null, end.decision,
                    set.getOrDefault(step.id(), List.of())));
        }
        // In the workflow's order, which the list form runs them in.
        Map<String, Reused> ordered = new LinkedHashMap<>();
        workflow.steps().forEach(step -> {
            if (reused.containsKey(step.id())) {
                ordered.put(step.id(), reused.get(step.id()));
            }
        });
        return ordered;
    }

    /** Ended so that its result stands: success, or skipped by its own {@code when} (no need failed). */
    private static boolean reusable(RunFold.Step end) {
        return end != null && (end.status == StepStatus.SUCCESS || end.status == StepStatus.SKIPPED && end.error == null);
    }

    /** The steps a retry from {@code from} runs again whatever they did: it, and what comes after it or needs it. */
    private static Set<String> rerunWith(Workflow workflow, String from) {
        Set<String> rerun = new HashSet<>();
        List<Step> steps = workflow.steps();
        if (!workflow.isGraph()) {
            boolean after = false;
            for (Step step : steps) {
                after |= step.id().equals(from);
                if (after) {
                    rerun.add(step.id());
                }
            }
            return rerun;
        }
        Map<String, List<String>> dependents = new HashMap<>();
        steps.forEach(step -> step.needs().forEach(need -> dependents.computeIfAbsent(need, id -> new ArrayList<>()).add(step.id())));
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(from));
        while (!todo.isEmpty()) {
            String id = todo.pop();
            if (rerun.add(id)) {
                todo.addAll(dependents.getOrDefault(id, List.of()));
            }
        }
        return rerun;
    }

    /** The steps with each after every step it needs (the workflow is acyclic: validated). */
    private static List<Step> topological(Workflow workflow) {
        List<Step> ordered = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        List<Step> left = new ArrayList<>(workflow.steps());
        while (!left.isEmpty()) {
            int before = left.size();
            for (var it = left.iterator(); it.hasNext(); ) {
                Step step = it.next();
                if (placed.containsAll(step.needs())) {
                    ordered.add(step);
                    placed.add(step.id());
                    it.remove();
                }
            }
            if (left.size() == before) { // a cycle, which validation refuses: reuse none of it
                break;
            }
        }
        return ordered;
    }
}
