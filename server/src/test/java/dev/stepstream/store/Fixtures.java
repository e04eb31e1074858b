package dev.stepstream.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

/** Workflows, runs and events as the engine would hand them to a store. */
final class Fixtures {

    static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");

    private Fixtures() {}

    static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static JsonNode parse(String text) {
        return Json.parseTrusted(json(text));
    }

    static WorkflowDraft draft(String id, String greeting) {
        String definition = "{\"id\":\"" + id + "\",\"steps\":[{\"id\":\"greet\",\"type\":\"log\",\"message\":\"" + greeting + "\"}]}";
        return new WorkflowDraft(id, "Workflow " + id, "says " + greeting, 1, json(definition));
    }

    static NewRun newRun(UUID runId, String workflowId, Instant createdAt, String... stepIds) {
        List<NewRun.StepRef> steps = Arrays.stream(stepIds).map(id -> new NewRun.StepRef(id, "Step " + id)).toList();
        return new NewRun(runId, workflowId, 3, json("{\"id\":\"" + workflowId + "\",\"steps\":[]}"),
                json("{\"who\":\"world\",\"times\":2}"), createdAt, steps);
    }

    /** A run's log as its executor writes it: seq 1, 2, 3…, one second apart from {@link #T0}. */
    static final class Log {
        final UUID runId;
        private long seq;

        Log(UUID runId) {
            this.runId = runId;
        }

        /** The log of a run whose stored log ends at {@code lastSeq}, as another writer continues it. */
        Log(UUID runId, long lastSeq) {
            this.runId = runId;
            this.seq = lastSeq;
        }

        /** The time of the event with this seq. */
        static Instant timeOf(long seq) {
            return T0.plusSeconds(seq);
        }

        RunEvent runStart() {
            ObjectNode payload = Json.object().put("workflowId", "hello").put("workflowVersion", 3);
            payload.set("inputs", parse("{\"who\":\"world\"}"));
            return next(EventType.RUN_START, payload);
        }

        RunEvent stepStart(String stepId, int attempt) {
            return next(EventType.STEP_START, Json.object().put("stepId", stepId).put("stepName", "Step " + stepId)
                    .put("attempt", attempt));
        }

        /** Any event, with this payload. */
        RunEvent event(EventType type, ObjectNode payload) {
            return next(type, payload);
        }

        RunEvent stepLog(String stepId, String message) {
            return stepLog(stepId, "info", message);
        }

        RunEvent stepLog(String stepId, String level, String message) {
            return next(EventType.STEP_LOG, Json.object().put("stepId", stepId).put("level", level)
                    .put("message", message).put("timestamp", Json.time(timeOf(seq + 1))));
        }

        RunEvent stepComplete(String stepId, String status, long duration, int attempt, String error) {
            return stepComplete(stepId, status, duration, attempt, error, null);
        }

        /** {@code outputs} is JSON text, or null for none. */
        RunEvent stepComplete(String stepId, String status, long duration, int attempt, String error, String outputs) {
            ObjectNode payload = Json.object().put("stepId", stepId).put("stepName", "Step " + stepId)
                    .put("status", status).put("duration", duration).put("attempt", attempt);
            if (error != null) {
                payload.put("error", error);
            }
            if (outputs != null) {
                payload.set("outputs", parse(outputs));
            }
            return next(EventType.STEP_COMPLETE, payload);
        }

        /** {@code oldValue} and {@code newValue} are JSON text, or null when absent. */
        RunEvent variable(String name, String changeType, String oldValue, String newValue) {
            ObjectNode payload = Json.object().put("stepId", "set").put("varName", name);
            payload.set("oldValue", oldValue == null ? null : parse(oldValue));
            payload.set("newValue", newValue == null ? null : parse(newValue));
            payload.put("changeType", changeType);
            return next(EventType.VARIABLE_CHANGE, payload);
        }

        RunEvent truncatedVariable(String name, String preview) {
            ObjectNode payload = Json.object().put("stepId", "set").put("varName", name);
            payload.putNull("oldValue");
            payload.put("newValue", preview).put("changeType", "create").put("truncated", true);
            return next(EventType.VARIABLE_CHANGE, payload);
        }

        /** A variable_change that previews {@code whole}, which goes beside it (RunEvent.fullValue). */
        RunEvent largeVariable(String name, String preview, String whole) {
            ObjectNode payload = Json.object().put("stepId", "set").put("varName", name);
            payload.putNull("oldValue");
            payload.put("newValue", preview).put("changeType", "create").put("truncated", true);
            seq++;
            return RunEvent.variableChange(runId, seq, timeOf(seq), payload, parse(whole));
        }

        RunEvent runComplete(String status, long duration, String error) {
            ObjectNode payload = Json.object().put("status", status).put("duration", duration);
            if (error != null) {
                payload.put("error", error);
            }
            return next(EventType.RUN_COMPLETE, payload);
        }

        List<RunEvent> logs(String stepId, int count) {
            return IntStream.range(0, count).mapToObj(i -> stepLog(stepId, "line " + i)).toList();
        }

        private RunEvent next(EventType type, ObjectNode payload) {
            seq++;
            return RunEvent.create(runId, seq, type, timeOf(seq), payload);
        }
    }
}
