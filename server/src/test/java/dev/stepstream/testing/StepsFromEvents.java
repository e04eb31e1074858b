package dev.stepstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's steps as a client that reads nothing but the run's events shows them (API.md: seq is
 * the one order of a run): each step is what its last {@code step_start}, {@code step_waiting}
 * or {@code step_complete} said, and a step no event named is pending. Such a client knows no
 * rule for a run's end, so a step whose log stops at its start shows running for ever: the
 * events alone must say how every step ended.
 */
public final class StepsFromEvents {
    private StepsFromEvents() {}

    /** By step id: {@code {"status","attempt","duration","error"}} as the events left each step they named. */
    public static Map<String, ObjectNode> of(List<JsonNode> events) {
        Map<String, ObjectNode> steps = new LinkedHashMap<>();
        for (JsonNode event : events) {
            JsonNode payload = event.path("payload");
            String stepId = payload.path("stepId").asText();
            switch (event.path("type").asText()) {
                case "step_start" -> steps.put(stepId, step("running", payload.path("attempt").asInt(), null, null));
                case "step_waiting" -> steps.get(stepId).put("status", "waiting");
                case "step_complete" -> steps.put(stepId, step(payload.path("status").asText(), payload.path("attempt").asInt(),
                        payload.get("duration"), payload.get("error")));
                default -> { }
            }
        }
        return steps;
    }

    /** The run detail's steps say what the events say of each, status, attempt, duration and error alike. */
    public static void assertAgreesWithDetail(JsonNode run, List<JsonNode> events) {
        Map<String, ObjectNode> seen = of(events);
        for (JsonNode detail : run.path("steps")) {
            String stepId = detail.path("stepId").asText();
            ObjectNode fromEvents = seen.getOrDefault(stepId, step("pending", 0, null, null));
            ObjectNode fromDetail = step(detail.path("status").asText(), detail.path("attempt").asInt(), detail.get("duration"),
                    detail.get("error"));
            assertThat(fromDetail).as("step %s: the run detail, against its events %s", stepId, events).isEqualTo(fromEvents);
        }
    }

    private static ObjectNode step(String status, int attempt, JsonNode duration, JsonNode error) {
        ObjectNode step = Json.object().put("status", status).put("attempt", attempt);
        if (duration == null || duration.isNull()) {
            step.putNull("duration");
        } else {
            step.put("duration", duration.asLong());
        }
        step.put("error", error == null || error.isNull() ? null : error.asText());
        return step;
    }
}
