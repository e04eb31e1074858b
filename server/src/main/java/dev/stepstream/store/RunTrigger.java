package dev.stepstream.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What started a run (docs/workflows.md, "Triggers"): {@code type} is {@code manual},
 * {@code schedule}, {@code webhook}, {@code retry} or {@code workflow}; {@code id} the
 * trigger's id (a schedule's, a webhook's), the run retried, or the parent run, else null;
 * {@code dueAt} the due time a schedule fired for, else null.
 */
public record RunTrigger(String type, String id, Instant dueAt) {
    public static final RunTrigger MANUAL = new RunTrigger("manual", null, null);
    public static final List<String> TYPES = List.of("manual", "schedule", "webhook", "retry", "workflow");

    /** A run a schedule started for {@code dueAt}. */
    public static RunTrigger schedule(String triggerId, Instant dueAt) {
        return new RunTrigger("schedule", triggerId, dueAt);
    }

    /** A run a webhook delivery started. */
    public static RunTrigger webhook(String triggerId) {
        return new RunTrigger("webhook", triggerId, null);
    }

    /** A run that retries {@code retried}. */
    public static RunTrigger retry(UUID retried) {
        return new RunTrigger("retry", retried.toString(), null);
    }

    /** A run a {@code workflow} step of {@code parent} started. */
    public static RunTrigger workflow(UUID parent) {
        return new RunTrigger("workflow", parent.toString(), null);
    }

    /** {@code {"type","id","dueAt"}}, as run summaries, details, run_start and run_queued carry it. */
    public ObjectNode json() {
        ObjectNode node = Json.object().put("type", type).put("id", id);
        if (dueAt == null) {
            node.putNull("dueAt");
        } else {
            node.put("dueAt", Json.time(dueAt));
        }
        return node;
    }
}
