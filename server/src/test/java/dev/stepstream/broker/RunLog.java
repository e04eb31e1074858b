package dev.stepstream.broker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.NewRun;
import dev.stepstream.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A run's log as an executor writes it: one step "a", events numbered 1, 2, 3… */
final class RunLog {
    final UUID runId = UUID.randomUUID();
    private long seq;

    /** Stores the run as queued, so that its events may be committed. */
    RunLog(Store store) {
        store.createRun(new NewRun(runId, "wf", 1, Json.bytes(Json.object().put("id", "wf")), Json.bytes(Json.object()),
                Json.now(), List.of(new NewRun.StepRef("a", "A"))));
    }

    RunEvent runStart() {
        ObjectNode payload = Json.object().put("workflowId", "wf").put("workflowVersion", 1);
        payload.set("inputs", Json.object());
        return next(EventType.RUN_START, payload);
    }

    RunEvent stepStart() {
        return next(EventType.STEP_START, Json.object().put("stepId", "a").put("stepName", "A").put("attempt", 1));
    }

    RunEvent log(String message) {
        return next(EventType.STEP_LOG, Json.object().put("stepId", "a").put("level", "info").put("message", message)
                .put("timestamp", Json.time(Json.now())));
    }

    List<RunEvent> logs(int count) {
        List<RunEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            events.add(log("line " + (seq + 1)));
        }
        return events;
    }

    RunEvent stepComplete() {
        return next(EventType.STEP_COMPLETE, Json.object().put("stepId", "a").put("stepName", "A").put("status", "success")
                .put("duration", 1).put("attempt", 1));
    }

    RunEvent runComplete() {
        return next(EventType.RUN_COMPLETE, Json.object().put("status", "success").put("duration", 2));
    }

    private RunEvent next(EventType type, ObjectNode payload) {
        seq++;
        return RunEvent.create(runId, seq, type, Json.now(), payload);
    }
}
