package dev.stepstream.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    private static final int UUID_LENGTH = 36;

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
    static byte[] stepLog(UUID runId, long seq, String time, String stepId, LogLevel level, String message,
                          boolean truncated) {
        byte[] fast = stepLogAscii(runId, seq, time, stepId, level, message, truncated);
        return fast != null ? fast : stepLogGenerated(runId, seq, time, stepId, level, message, truncated);
    }

    /** The hand-written envelope, or null when a string is not plain ASCII that JSON takes as it is. */
    private static byte[] stepLogAscii(UUID runId, long seq, String time, String stepId, LogLevel level,
                                       String message, boolean truncated) {
        String levelText = level.wire();
        byte[] end = truncated ? TRUNCATED_END : END;
        int length = RUN_ID.length + UUID_LENGTH + SEQ.length + digits(seq) + STEP_LOG_TYPE.length + time.length()
                + STEP_ID.length + stepId.length() + LEVEL.length + levelText.length() + MESSAGE.length
                + message.length() + TIMESTAMP.length + time.length() + end.length;
        byte[] out = new byte[length];
        int at = put(out, 0, RUN_ID);
        at = putAscii(out, at, runId.toString());
        at = put(out, at, SEQ);
        at = putDigits(out, at, seq);
        at = put(out, at, STEP_LOG_TYPE);
        at = putAscii(out, at, time);
        at = put(out, at, STEP_ID);
        at = putAscii(out, at, stepId);
        at = put(out, at, LEVEL);
        at = putAscii(out, at, levelText);
        at = put(out, at, MESSAGE);
        at = putAscii(out, at, message);
        if (at < 0) {
            return null;
        }
        at = put(out, at, TIMESTAMP);
        at = putAscii(out, at, time);
        at = put(out, at, end);
        return at == length ? out : null;
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
        return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
