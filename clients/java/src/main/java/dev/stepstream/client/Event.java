package dev.stepstream.client;

import java.util.Map;

/**
 * One event of a run, as the server sent it (docs/api.md, "Envelope"): its {@link #seq()}, 1, 2,
 * 3… with no gap; its {@link #type()} ({@code run_start}, {@code step_start}, {@code step_log},
 * {@code variable_change}, {@code step_complete}, {@code step_waiting}, {@code run_resumed},
 * {@code run_complete}, …); when it happened ({@link #time()}, ISO-8601 UTC); its
 * {@link #payload()}; and {@link #json()}, the envelope exactly as the server sent it.
 *
 * <p>The payload is read from the text the first time it is asked for: a follower that only
 * passes the text on (the CLI's {@code --json}) reads each envelope once.
 */
public final class Event {
    private final String runId;
    private final long seq;
    private final String type;
    private final String time;
    private final Object payloadText;
    private final String json;
    /** The payload once read; a race reads it twice into equal maps, which is harmless. */
    private volatile Map<String, Object> payload;

    Event(String runId, long seq, String type, String time, Object payloadText, String json) {
        this.runId = runId;
        this.seq = seq;
        this.type = type;
        this.time = time;
        this.payloadText = payloadText;
        this.json = json;
    }

    public String runId() {
        return runId;
    }

    public long seq() {
        return seq;
    }

    public String type() {
        return type;
    }

    public String time() {
        return time;
    }

    /**
     * The type's fields, unmodifiable: maps, lists, strings, longs (or BigIntegers), doubles (or
     * BigDecimals), booleans and nulls. An {@link IllegalArgumentException} if the server sent a
     * payload that is not JSON.
     */
    public Map<String, Object> payload() {
        Map<String, Object> read = payload;
        if (read == null) {
            read = Json.object(payloadText);
            payload = read;
        }
        return read;
    }

    /** The envelope exactly as the server sent it: one line of JSON. */
    public String json() {
        return json;
    }

    /** Whether this is the run's last event. */
    public boolean isRunComplete() {
        return "run_complete".equals(type);
    }

    /** Two events are equal when the server sent the same text. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Event event && json.equals(event.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json;
    }
}
