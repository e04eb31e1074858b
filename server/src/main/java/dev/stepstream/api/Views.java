package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.RunHead;
import dev.stepstream.store.RunSummary;
import dev.stepstream.store.StoredVersion;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.workflow.Cron;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The JSON shapes of docs/api.md, in one place. */
final class Views {
    private Views() {}

    static ObjectNode workflowSummary(StoredWorkflow workflow) {
        ObjectNode node = Json.object().put("id", workflow.id()).put("name", workflow.name());
        node.put("description", workflow.description());
        return node.put("version", workflow.version()).put("updatedAt", Json.time(workflow.updatedAt()))
                .put("steps", workflow.stepCount());
    }

    /**
     * The definition as registered, with its version and update time; each schedule trigger
     * with its {@code nextRunAt}, its first due time after {@code now} (null if it has none).
     */
    static ObjectNode workflowDefinition(StoredWorkflow workflow, Instant now) {
        ObjectNode node = (ObjectNode) Json.parseTrusted(workflow.definition());
        for (JsonNode trigger : node.path("triggers")) {
            if (trigger instanceof ObjectNode schedule && "schedule".equals(schedule.path("type").asText())) {
                putTime(schedule, "nextRunAt", nextRunAt(schedule, now));
            }
        }
        return node.put("version", workflow.version()).put("updatedAt", Json.time(workflow.updatedAt()));
    }

    /** A kept version other than the current one: as {@link #workflowDefinition}, without schedules to come. */
    static ObjectNode workflowVersion(StoredVersion version) {
        ObjectNode node = (ObjectNode) Json.parseTrusted(version.definition());
        return node.put("version", version.version()).put("updatedAt", Json.time(version.updatedAt()));
    }

    /** A stored schedule's next due time (it was valid when stored; null if it no longer parses). */
    private static Instant nextRunAt(ObjectNode schedule, Instant now) {
        try {
            JsonNode zone = schedule.path("timezone");
            Cron cron = Cron.parse(schedule.path("cron").asText(), zone.isTextual() ? ZoneId.of(zone.textValue()) : ZoneOffset.UTC);
            return cron.next(now).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The fields a run's summary and its detail both begin with, in this order. */
    private static ObjectNode head(RunHead run) {
        ObjectNode node = Json.object().put("runId", run.runId().toString()).put("workflowId", run.workflowId())
                .put("workflowName", run.workflowName()).put("workflowVersion", run.workflowVersion())
                .put("status", run.status().wire());
        node.set("inputs", run.inputs());
        putTime(node, "createdAt", run.createdAt());
        putTime(node, "startedAt", run.startedAt());
        putTime(node, "finishedAt", run.finishedAt());
        node.put("duration", run.durationMs()).put("error", run.error()).put("lastSeq", run.lastSeq());
        node.set("trigger", run.trigger().json());
        return node;
    }

    static ObjectNode runSummary(RunSummary run) {
        ObjectNode node = head(run);
        if (run.lastStep() == null) {
            node.putNull("lastStep");
        } else {
            node.putObject("lastStep").put("stepId", run.lastStep().stepId()).put("status", run.lastStep().status().wire());
        }
        return node;
    }

    /** The run's detail; {@code retries}: the runs that retry it, oldest first. */
    static ObjectNode runDetail(RunDetail run, List<UUID> retries) {
        ObjectNode node = head(run);
        Map<String, JsonNode> needs = needs(run.definition());
        var steps = node.putArray("steps");
        for (RunDetail.StepState step : run.steps()) {
            ObjectNode s = steps.addObject().put("stepId", step.stepId()).put("stepName", step.stepName())
                    .put("status", step.status().wire()).put("attempt", step.attempt());
            putTime(s, "startedAt", step.startedAt());
            s.put("duration", step.durationMs()).put("error", step.error());
            s.set("needs", needs.getOrDefault(step.stepId(), Json.MAPPER.createArrayNode()));
            s.set("outputs", step.outputs() == null ? Json.object() : step.outputs());
        }
        node.set("variables", run.variables());
        if (run.retryOf() == null) {
            node.putNull("retryOf");
        } else {
            node.set("retryOf", Json.object().put("runId", run.retryOf().runId().toString()).put("from", run.retryOf().from()));
        }
        var retried = node.putArray("retries");
        retries.forEach(id -> retried.add(id.toString()));
        return node;
    }

    /** Each step's {@code needs} as the run's definition lists them (an empty list for none). */
    private static Map<String, JsonNode> needs(byte[] definition) {
        Map<String, JsonNode> needs = new HashMap<>();
        if (definition == null) {
            return needs;
        }
        for (JsonNode step : Json.parseTrusted(definition).path("steps")) {
            JsonNode list = step.get("needs");
            if (list != null && list.isArray()) {
                needs.put(step.path("id").asText(), list);
            }
        }
        return needs;
    }

    private static void putTime(ObjectNode node, String field, Instant time) {
        if (time == null) {
            node.putNull(field);
        } else {
            node.put(field, Json.time(time));
        }
    }
}
