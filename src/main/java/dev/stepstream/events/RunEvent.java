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
 * when the event is created; the store, the broker and every connection reuse them. The
 * payload node is kept beside them for the store's projections and must not be modified
 * after creation. Equality is by run and seq: one run never has two events with one seq.
 */
public record RunEvent(UUID runId, long seq, EventType type, Instant time, JsonNode payload, byte[] json) {

    public RunEvent {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(json, "json");
        if (seq < 1) {
            throw new IllegalArgumentException("seq starts at 1, got " + seq);
        }
    }

    /** Creates an event and encodes its envelope, the one time it is encoded. */
    public static RunEvent create(UUID runId, long seq, EventType type, Instant time, ObjectNode payload) {
        ObjectNode envelope = Json.object();
        envelope.put("runId", runId.toString());
        envelope.put("seq", seq);
        envelope.put("type", type.wire());
        envelope.put("time", Json.time(time));
        envelope.set("payload", payload);
        return new RunEvent(runId, seq, type, time, payload, Json.bytes(envelope));
    }

    /** Rebuilds an event from its stored envelope bytes (which are reused as they are). */
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
