package dev.stepstream.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * Writes envelopes ({@code {"runId","seq","type","time","payload"}}) straight to their UTF-8
 * bytes, without building a tree for the envelope.
 *
 * <p>The bytes are exactly those that Jackson writes for the same envelope as an
 * {@code ObjectNode} through {@link Json#MAPPER} (the one encoding the store, the broker and
 * every stream have always carried; tests compare the two over a corpus). A {@code step_log},
 * the event a flooding script makes per line, is written by hand when its strings need no
 * escaping (printable ASCII without {@code "} or {@code \}: Jackson copies such strings as
 * they are) and by Jackson's generator otherwise.
 *
 * <p>Stateless; safe for any thread.
 */
final class Envelopes {
    private static final byte[] RUN_ID = ascii("{\"runId\":\"");
    private static final byte[] SEQ = ascii("\",\"seq\":");
    private static final byte[] STEP_LOG_TYPE = ascii(",\"type\":\"step_log\",\"time\":\"");
    private static final byte[] STEP_ID = ascii("\",\"payload\":{\"stepId\":\"");
    private static final byte[] LEVEL = ascii("\",\"level\":\"");
    private static final byte[] MESSAGE = ascii("\",\"message\":\"");
    private static final byte[] TIMESTAMP = ascii("\",\"timestamp\":\"");
    private static final byte[] END = ascii("\"}}");
    private static final byte[] TRUNCATED_END = ascii("\",\"truncated\":true}}");
    private static final byte[][] LEVELS = new byte[LogLevel.values().length][];

    static {
        for (LogLevel level : LogLevel.values()) {
            LEVELS[level.ordinal()] = ascii(level.wire());
        }
    }

    /**
     * The run id and the time that {@link #stepLog} wrote last, as ASCII. A flood writes one
     * run's id, and the same millisecond, hundreds of times in a row: copied as bytes, they
     * cost no string and no char-by-char check (which a cold JVM runs slowly, interpreted,
     * for the first part of a flood). Any thread may replace them; a record read through the
     * volatile field is whole, and a miss only costs the formatting.
     */
    private static volatile Ascii<UUID> lastRunId = new Ascii<>(new UUID(0, 0), ascii(new UUID(0, 0).toString()));
    private static volatile Ascii<Instant> lastTime = new Ascii<>(Instant.EPOCH, ascii(Json.time(Instant.EPOCH)));

    private record Ascii<K>(K key, byte[] bytes) {}

    private Envelopes() {}

    /** The envelope of any event, around a payload tree. */
    static byte[] encode(UUID runId, long seq, EventType type, String time, ObjectNode payload) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator generator = Json.MAPPER.createGenerator(out, JsonEncoding.UTF8)) {
            writeHead(generator, runId, seq, type, time);
            Json.MAPPER.writeTree(generator, payload);
            generator.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode an event of run " + runId, e); // only from a bug: no I/O here
        }
        return out.toByteArray();
    }

    /**
     * The envelope of a {@code step_log} with the payload
     * {@code {"stepId","level","message","timestamp"[,"truncated":true]}}, whose timestamp is the
     * envelope's time, as the run's driver makes them.
     */
    static byte[] stepLog(UUID runId, long seq, Instant time, String stepId, LogLevel level, String message,
                          boolean truncated) {
        byte[] fast = stepLogAscii(runId, seq, time, stepId, level, message, truncated);
        return fast != null ? fast : stepLogGenerated(runId, seq, Json.time(time), stepId, level, message, truncated);
    }

    /** The hand-written envelope, or null when a string is not plain ASCII that JSON takes as it is. */
    private static byte[] stepLogAscii(UUID runId, long seq, Instant time, String stepId, LogLevel level,
                                       String message, boolean truncated) {
        byte[] id = runIdAscii(runId);
        byte[] at = timeAscii(time);
        byte[] levelText = LEVELS[level.ordinal()];
        byte[] end = truncated ? TRUNCATED_END : END;
        int length = RUN_ID.length + id.length + SEQ.length + digits(seq) + STEP_LOG_TYPE.length + at.length
                + STEP_ID.length + stepId.length() + LEVEL.length + levelText.length + MESSAGE.length
                + message.length() + TIMESTAMP.length + at.length + end.length;
        byte[] out = new byte[length];
        int i = put(out, 0, RUN_ID);
        i = put(out, i, id);
        i = put(out, i, SEQ);
        i = putDigits(out, i, seq);
        i = put(out, i, STEP_LOG_TYPE);
        i = put(out, i, at);
        i = put(out, i, STEP_ID);
        i = putAscii(out, i, stepId);
        i = put(out, i, LEVEL);
        i = put(out, i, levelText);
        i = put(out, i, MESSAGE);
        i = putAscii(out, i, message);
        if (i < 0) {
            return null;
        }
        i = put(out, i, TIMESTAMP);
        i = put(out, i, at);
        i = put(out, i, end);
        return i == length ? out : null;
    }

    private static byte[] runIdAscii(UUID runId) {
        Ascii<UUID> last = lastRunId;
        if (!last.key().equals(runId)) {
            last = new Ascii<>(runId, ascii(runId.toString()));
            lastRunId = last;
        }
        return last.bytes();
    }

    private static byte[] timeAscii(Instant time) {
        Ascii<Instant> last = lastTime;
        if (!last.key().equals(time)) {
            last = new Ascii<>(time, ascii(Json.time(time)));
            lastTime = last;
        }
        return last.bytes();
    }

    private static byte[] stepLogGenerated(UUID runId, long seq, String time, String stepId, LogLevel level,
                                           String message, boolean truncated) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator generator = Json.MAPPER.createGenerator(out, JsonEncoding.UTF8)) {
            writeHead(generator, runId, seq, EventType.STEP_LOG, time);
            generator.writeStartObject();
            generator.writeStringField("stepId", stepId);
            generator.writeStringField("level", level.wire());
            generator.writeStringField("message", message);
            generator.writeStringField("timestamp", time);
            if (truncated) {
                generator.writeBooleanField("truncated", true);
            }
            generator.writeEndObject();
            generator.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode an event of run " + runId, e);
        }
        return out.toByteArray();
    }

    /** Opens the envelope and writes every field before the payload's value. */
    private static void writeHead(JsonGenerator generator, UUID runId, long seq, EventType type, String time)
            throws IOException {
        generator.writeStartObject();
        generator.writeStringField("runId", runId.toString());
        generator.writeNumberField("seq", seq);
        generator.writeStringField("type", type.wire());
        generator.writeStringField("time", time);
        generator.writeFieldName("payload");
    }

    private static int put(byte[] out, int at, byte[] bytes) {
        if (at < 0) {
            return at;
        }
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return at + bytes.length;
    }

    /**
     * Copies {@code text} as bytes when every char is printable ASCII other than {@code "} and
     * {@code \} (which JSON writes as they are); else answers -1.
     */
    private static int putAscii(byte[] out, int at, String text) {
        if (at < 0) {
            return at;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                return -1;
            }
            out[at++] = (byte) c;
        }
        return at;
    }

    /** The decimal digits of a seq (positive). */
    private static int digits(long value) {
        int digits = 1;
        for (long rest = value / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return digits;
    }

    private static int putDigits(byte[] out, int at, long value) {
        int end = at + digits(value);
        int i = end;
        long rest = value;
        do {
            out[--i] = (byte) ('0' + rest % 10);
            rest /= 10;
        } while (rest > 0);
        return end;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
