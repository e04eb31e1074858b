package dev.stepstream.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.time.Instant;
import java.util.List;

/**
 * What started a run (docs/workflows.md, "Triggers"): {@code type} is {@code manual},
 * {@code schedule}, {@code webhook}, {@code retry} or {@code workflow}; {@code id} the
 * trigger's id (a schedule's, a webhook's), the run retried, or the parent run, else null;
 * {@code dueAt} the due time a schedule fired for, else null.
 */
public record RunTrigger(String type, String id, Instant dueAt) {
    public static final RunTrigger MANUAL = new RunTrigger("manual", null, null);
    public static final List<String> TYPES = List.of("manual", "schedule", "webhook", "retry", "workflow");

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
