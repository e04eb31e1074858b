package dev.stepstream.client;

import java.util.Map;
import java.util.OptionalLong;

/**
 * One item a {@link RunWatch} yields: {@code connected}, made by the client each time a
 * connection opens (list the runs then: what happened meanwhile is not sent), or one the server
 * sent on the all-runs stream (docs/api.md), as it sent it. The server's are the run-level
 * envelopes {@code run_queued} (seq 0), {@code run_start}, {@code run_resumed} and
 * {@code run_complete}; {@code run_progress} ({@code {stepId, status}}, no seq nor time) and
 * {@code run_deleted} ({@code {workflowId}}); and any type a later server adds, passed on as it
 * came, for a reader to ignore.
 *
 * <p>The payload is read from the text the first time it is asked for, as {@link Event}'s is.
 */
public final class RunWatchItem {
    /** The item that says a connection opened. */
    static final RunWatchItem CONNECTED = new RunWatchItem("connected", null, null, null, null, "{\"type\":\"connected\"}");

    private final String type;
    private final String runId;
    private final Long seq;
    private final String time;
    private final Object payloadText;
    private final String json;
    /** The payload once read; a race reads it twice into equal maps, which is harmless. */
    private volatile Map<String, Object> payload;

    private RunWatchItem(String type, String runId, Long seq, String time, Object payloadText, String json) {
        this.type = type;
        this.runId = runId;
        this.seq = seq;
        this.time = time;
        this.payloadText = payloadText;
        this.json = json;
    }

    /** The item of one line of the stream, read into {@code item} ({@link Connection#fields}). */
    static RunWatchItem of(Map<String, Object> item, String line) {
        return new RunWatchItem(item.get("type") instanceof String text ? text : null,
                item.get("runId") instanceof String text ? text : null,
                item.get("seq") instanceof Long number ? number : null,
                item.get("time") instanceof String text ? text : null,
                item.get("payload"), line);
    }

    /** {@code connected}, {@code run_queued}, {@code run_progress}, …; null if the server sent none. */
    public String type() {
        return type;
    }

    /** The run the item is about; null for {@code connected}. */
    public String runId() {
        return runId;
    }

    /** The run's seq of a run-level envelope ({@code run_queued}'s is 0); empty for the other items. */
    public OptionalLong seq() {
        return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
    }

    /** When it happened (ISO-8601 UTC), for a run-level envelope; null for the other items. */
    public String time() {
        return time;
    }

    /**
     * The type's fields, unmodifiable (empty for {@code connected}), read as {@link Event#payload()}
     * reads them. An {@link IllegalArgumentException} if the server sent a payload that is not JSON.
     */
    public Map<String, Object> payload() {
        Map<String, Object> read = payload;
        if (read == null) {
            read = Json.object(payloadText);
            payload = read;
        }
        return read;
    }

    /** The item exactly as the server sent it (one line of JSON); {@code {"type":"connected"}} for {@code connected}. */
    public String json() {
        return json;
    }

    /** Whether a connection just opened: list the runs now, then apply the items that follow. */
    public boolean isConnected() {
        return this == CONNECTED;
    }

    /** Whether this is a run's last event. */
    public boolean isRunComplete() {
        return "run_complete".equals(type);
    }

    /** Two items are equal when they have the same text. */
    @Override
    public boolean equals(Object other) {
        return other instanceof RunWatchItem item && json.equals(item.json);
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
