package dev.stepstream.client;

import java.util.Map;

/**
 * One event of a run, as the server sent it (docs/api.md, "Envelope").
 *
 * @param runId the run's id
 * @param seq its place in the run: 1, 2, 3… with no gap
 * @param type {@code run_start}, {@code step_start}, {@code step_log}, {@code variable_change},
 *     {@code step_complete}, {@code step_waiting}, {@code run_resumed}, {@code run_complete}, …
 * @param time when it happened, ISO-8601 UTC
 * @param payload the type's fields (unmodifiable; values as {@link StepstreamClient} describes)
 * @param json the envelope exactly as the server sent it, one line of JSON
 */
public record Event(String runId, long seq, String type, String time, Map<String, Object> payload, String json) {
    /** Whether this is the run's last event. */
    public boolean isRunComplete() {
        return "run_complete".equals(type);
    }

    @Override
    public String toString() {
        return json;
    }
}
