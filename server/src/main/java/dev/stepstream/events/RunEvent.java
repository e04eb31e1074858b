package dev.stepstream.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One event of a run's log: the envelope {@code {"runId","seq","type","time","payload"}}.
 *
 * <p>Encode once (DESIGN.md invariant 5): {@link #json} holds the envelope's UTF-8 bytes, made
 * when the event is created; the store, the broker and every connection reuse them. An event
 * read back from the store is rebuilt from its columns and those bytes, and its payload is
 * parsed only if someone asks for it (a stream filter on steps or levels): streaming history
 * to a connection costs no JSON parsing. The payload must not be modified. Equality is by run
 * and seq: one run never has two events with one seq.
 *
 * <p>A {@code variable_change} whose value is over 16 KiB of JSON carries a text preview of it
 * ({@code "truncated": true}); the whole value travels beside the envelope ({@link #fullValue}),
 * never in it: the store keeps it with the event, for the fold that rebuilds the run, while
 * streams and the broker carry the envelope alone.
 *
 * <p>Threads: immutable but for the lazily parsed payload and full value, which any thread may
 * parse; a race parses twice and publishes either result (equal trees) through the volatile field.
 */
public final class RunEvent {
    private final UUID runId;
    private final long seq;
    private final EventType type;
    private final Instant time;
    private final byte[] json;
    private volatile JsonNode payload;
    /** The whole value's JSON a variable_change previews, or null; {@link #fullValue} parses it on first use. */
    private final byte[] fullValueJson;
    private volatile JsonNode fullValue;

    private RunEvent(UUID runId, long seq, EventType type, Instant time, JsonNode payload, byte[] json) {
        this(runId, seq, type, time, payload, json, null, null);
    }

    private RunEvent(UUID runId, long seq, EventType type, Instant time, JsonNode payload, byte[] json,
                     JsonNode fullValue, byte[] fullValueJson) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.type = Objects.requireNonNull(type, "type");
        this.time = Objects.requireNonNull(time, "time");
        this.json = Objects.requireNonNull(json, "json");
        if (seq < 1) {
            throw new IllegalArgumentException("seq starts at 1, got " + seq);
        }
        this.seq = seq;
        this.payload = payload;
        this.fullValue = fullValue;
        this.fullValueJson = fullValueJson;
    }

    /** Creates an event and encodes its envelope, the one time it is encoded. */
    public static RunEvent create(UUID runId, long seq, EventType type, Instant time, ObjectNode payload) {
        Objects.requireNonNull(payload, "payload");
        return new RunEvent(runId, seq, type, time, payload, Envelopes.encode(runId, seq, type, Json.time(time), payload));
    }

    /**
     * Creates a {@code variable_change} whose payload carries a preview of {@code fullValue}
     * (its {@code newValue}, with {@code "truncated": true}); the whole value, encoded here once,
     * goes beside the envelope ({@link #fullValue}).
     */
    public static RunEvent variableChange(UUID runId, long seq, Instant time, ObjectNode payload, JsonNode fullValue) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(fullValue, "fullValue");
        return new RunEvent(runId, seq, EventType.VARIABLE_CHANGE, time, payload,
                Envelopes.encode(runId, seq, EventType.VARIABLE_CHANGE, Json.time(time), payload), fullValue, Json.bytes(fullValue));
    }

    /**
     * Creates a {@code step_log} with the payload {@code {"stepId","level","message","timestamp"}}
     * (and {@code "truncated":true} when the message was cut), whose timestamp is {@code time}:
     * the event a script makes for each line it prints, encoded without building a payload
     * tree. Its payload is parsed from the envelope if someone asks for it, as a stored event's.
     */
    public static RunEvent stepLog(UUID runId, long seq, Instant time, String stepId, LogLevel level, String message,
                                   boolean truncated) {
        byte[] json = Envelopes.stepLog(runId, seq, time, stepId, level, message, truncated);
        return new RunEvent(runId, seq, EventType.STEP_LOG, time, null, json);
    }

    /**
     * An event as stored: its envelope bytes (reused as they are) and the columns stored beside
     * them, which must agree with the envelope. The payload is parsed on first use.
     */
    public static RunEvent stored(UUID runId, long seq, EventType type, Instant time, byte[] json) {
        return new RunEvent(runId, seq, type, time, null, json);
    }

    /** As {@link #stored(UUID, long, EventType, Instant, byte[])}, with the whole value stored beside it (null for none). */
    public static RunEvent stored(UUID runId, long seq, EventType type, Instant time, byte[] json, byte[] fullValueJson) {
        return new RunEvent(runId, seq, type, time, null, json, null, fullValueJson);
    }

    /** Rebuilds an event from its envelope bytes alone (which are reused as they are). */
    public static RunEvent fromJson(byte[] json) {
        JsonNode envelope = Json.parseTrusted(json);
        return new RunEvent(
                UUID.fromString(envelope.path("runId").asText()),
                envelope.path("seq").asLong(),
                EventType.fromWire(envelope.path("type").asText()),
                Instant.parse(envelope.path("time").asText()),
                envelope.path("payload"),
                json);
    }

    public UUID runId() {
        return runId;
    }

    public long seq() {
        return seq;
    }

    public EventType type() {
        return type;
    }

    public Instant time() {
        return time;
    }

    /** The envelope's UTF-8 bytes; shared, never to be modified. */
    public byte[] json() {
        return json;
    }

    /** The payload object, parsed from {@link #json} on first use for a stored event. */
    public JsonNode payload() {
        JsonNode parsed = payload;
        if (parsed == null) {
            parsed = Json.parseTrusted(json).path("payload");
            payload = parsed;
        }
        return parsed;
    }

    /**
     * The whole value of a {@code variable_change} whose payload's {@code newValue} is a preview
     * of it; null for any other event, and for one read from a stream or the broker (which carry
     * the envelope alone) or by {@code Store.events}. Parsed on first use for a stored event.
     */
    public JsonNode fullValue() {
        JsonNode parsed = fullValue;
        if (parsed == null && fullValueJson != null) {
            parsed = Json.parseTrusted(fullValueJson);
            fullValue = parsed;
        }
        return parsed;
    }

    /** The JSON of {@link #fullValue}, as the store keeps it; null for none. Shared, never to be modified. */
    public byte[] fullValueJson() {
        return fullValueJson;
    }

    /**
     * The status a {@code run_complete} ends its run with: the one reading of its payload's
     * {@code status}, for the fold, the store's checks, the topic and the metrics.
     *
     * @throws IllegalStateException    if this is not a {@code run_complete}
     * @throws IllegalArgumentException if {@code status} is missing, not a string or no run status
     */
    public RunStatus endStatus() {
        if (type != EventType.RUN_COMPLETE) {
            throw new IllegalStateException("a " + type.wire() + " ends no run");
        }
        JsonNode status = payload().get("status");
        if (status == null || !status.isTextual()) {
            throw new IllegalArgumentException("payload field \"status\" must be a string");
        }
        return RunStatus.fromWire(status.textValue());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RunEvent that && runId.equals(that.runId) && seq == that.seq;
    }

    @Override
    public int hashCode() {
        return runId.hashCode() * 31 + Long.hashCode(seq);
    }

    @Override
    public String toString() {
        return "RunEvent[" + runId + "#" + seq + " " + type.wire() + "]";
    }
}
