package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.EventPage;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Two runs side by side (docs/api.md, "Comparing two runs"): steps matched by id, in a's order
 * then b's extra ones, each with both ends and its log lines as a line diff; and the variables
 * whose final values differ. Logs are read a page at a time; what is kept of them is capped
 * ({@link #MAX_LINES} a step, {@link #MAX_RUN_LINES} and {@link #MAX_RUN_CHARS} a run, per
 * side), so memory is bounded whatever the size of the runs and their lines: a step cut short
 * says {@code "truncated": true}.
 * Built and used by one request's thread.
 */
final class RunComparison {
    /** Log lines of one step of one run that enter the diff; the rest are left out. */
    static final int MAX_LINES = 10_000;
    /** Log lines of one run, over all its steps, that enter the diffs. */
    static final int MAX_RUN_LINES = 100_000;
    /**
     * Characters of log lines of one run that enter the diffs: 100,000 lines of 16 KiB would be
     * 1.6 GB a side, and the answer holds them again.
     */
    static final int MAX_RUN_CHARS = 4 << 20;
    private static final int PAGE = 1_000;
    /** Where a read of a run's log stops, in bytes of envelopes (with the event that reaches them). */
    private static final int PAGE_BYTES = 1 << 20;

    /** What of a run's log enters the diffs, per side: lines of a step, lines and characters of the run. */
    record Caps(int stepLines, int runLines, int runChars) {}

    private RunComparison() {}

    /** The comparison of two stored runs, read from {@code store}. */
    static ObjectNode compare(Store store, RunDetail a, RunDetail b) {
        return compare(store, a, b, new Caps(MAX_LINES, MAX_RUN_LINES, MAX_RUN_CHARS));
    }

    /** As {@link #compare(Store, RunDetail, RunDetail)}, with other caps (for tests). */
    static ObjectNode compare(Store store, RunDetail a, RunDetail b, Caps caps) {
        Logs aLogs = Logs.read(store, a.runId(), caps);
        Logs bLogs = Logs.read(store, b.runId(), caps);
        ObjectNode body = Json.object();
        body.set("a", Views.runSummary(a.summary()));
        body.set("b", Views.runSummary(b.summary()));
        Map<String, RunDetail.StepState> aSteps = byId(a);
        Map<String, RunDetail.StepState> bSteps = byId(b);
        List<String> ids = new ArrayList<>(aSteps.keySet());
        bSteps.keySet().stream().filter(id -> !aSteps.containsKey(id)).forEach(ids::add);
        ArrayNode steps = body.putArray("steps");
        for (String id : ids) {
            ObjectNode step = steps.addObject().put("stepId", id);
            step.set("a", end(aSteps.get(id)));
            step.set("b", end(bSteps.get(id)));
            step.put("truncated", aLogs.truncated.contains(id) || bLogs.truncated.contains(id));
            ArrayNode log = step.putArray("log");
            for (LineDiff.Line line : LineDiff.diff(aLogs.lines(id), bLogs.lines(id))) {
                log.addObject().put("op", String.valueOf(line.op())).put("text", line.text());
            }
        }
        ArrayNode variables = body.putArray("variables");
        TreeSet<String> names = new TreeSet<>();
        a.variables().fieldNames().forEachRemaining(names::add);
        b.variables().fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode aValue = a.variables().get(name);
            JsonNode bValue = b.variables().get(name);
            if (aValue == null ? bValue != null : !aValue.equals(bValue)) {
                ObjectNode variable = variables.addObject().put("name", name);
                variable.set("a", aValue);
                variable.set("b", bValue);
            }
        }
        return body;
    }

    private static Map<String, RunDetail.StepState> byId(RunDetail run) {
        Map<String, RunDetail.StepState> steps = new LinkedHashMap<>();
        run.steps().forEach(step -> steps.put(step.stepId(), step));
        return steps;
    }

    /** How a step ended in one run, or null when that run has no such step. */
    private static ObjectNode end(RunDetail.StepState step) {
        if (step == null) {
            return null;
        }
        ObjectNode end = Json.object().put("status", step.status().wire()).put("attempt", step.attempt())
                .put("duration", step.durationMs());
        end.set("outputs", step.outputs() == null ? Json.object() : step.outputs());
        return end;
    }

    /** A run's step_log lines by step id, a message of several lines giving one line each; capped. */
    private static final class Logs {
        final Map<String, List<String>> byStep = new HashMap<>();
        final Set<String> truncated = new HashSet<>();
        private final Caps caps;
        private int kept;
        private long keptChars;

        private Logs(Caps caps) {
            this.caps = caps;
        }

        static Logs read(Store store, UUID runId, Caps caps) {
            Logs logs = new Logs(caps);
            long after = 0;
            while (true) {
                EventPage page = store.eventsWithin(runId, after, PAGE, PAGE_BYTES);
                for (RunEvent event : page.events()) {
                    if (event.type() == EventType.STEP_LOG) {
                        JsonNode payload = event.payload();
                        logs.add(payload.path("stepId").asText(), payload.path("message").asText());
                    }
                }
                if (!page.more()) {
                    return logs;
                }
                after = page.next();
            }
        }

        private void add(String stepId, String message) {
            if (truncated.contains(stepId)) {
                return;
            }
            List<String> lines = byStep.computeIfAbsent(stepId, id -> new ArrayList<>());
            for (String line : message.split("\r?\n")) {
                if (lines.size() >= caps.stepLines() || kept >= caps.runLines() || keptChars >= caps.runChars()) {
                    truncated.add(stepId);
                    return;
                }
                lines.add(line);
                kept++;
                keptChars += line.length();
            }
        }

        List<String> lines(String stepId) {
            return byStep.getOrDefault(stepId, List.of());
        }
    }
}
