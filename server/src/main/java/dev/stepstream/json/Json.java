package dev.stepstream.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The one JSON mapper and the one time format of the wire (docs/api.md).
 * The mapper is immutable once built and safe to share between threads.
 */
public final class Json {
    /**
     * Decimals are kept as written ({@code 100.0} stays {@code 100.0}, never {@code 1E+2}), and
     * nesting and size limits protect the server from hostile documents.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonTrees.factory())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Json() {}

    /**
     * The second that {@link #time} formatted last, and its text up to the milliseconds
     * ({@code 2026-11-26T10:30:45.}). Many events share a second, and formatting it is most of
     * the cost: a flooding script's lines pay only for the three digits of their millisecond.
     * Any thread may replace it; a record read through the volatile field is whole.
     */
    private static volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String prefix) {}

    /** ISO-8601 UTC with exactly three digits of milliseconds, as every time on the wire. */
    public static String time(Instant instant) {
        long epochSecond = instant.getEpochSecond();
        Second second = lastSecond;
        if (second.epochSecond != epochSecond) {
            if (epochSecond < 0 || epochSecond >= LAST_FOUR_DIGIT_YEAR) {
                return TIME.format(instant); // years the pattern writes with a sign or more digits
            }
            String text = TIME.format(Instant.ofEpochSecond(epochSecond));
            second = new Second(epochSecond, text.substring(0, text.length() - 4)); // without "000Z"
            lastSecond = second;
        }
        int millis = instant.getNano() / 1_000_000;
        return new StringBuilder(24).append(second.prefix)
                .append((char) ('0' + millis / 100))
                .append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10))
                .append('Z')
                .toString();
    }

    /** 10000-01-01T00:00:00Z: from here on the year has five digits. */
    private static final long LAST_FOUR_DIGIT_YEAR = 253_402_300_800L;

    /** The current time truncated to milliseconds, so that what is stored equals what is sent. */
    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static String text(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The largest exponent a number may have, either way: {@code 1e999999999} parses, but could never be written back. */
    public static final int MAX_SCALE = 1000;

    /**
     * The path ({@code inputs.n}, {@code steps[0].x}) of the first number in {@code node} whose
     * exponent is beyond {@link #MAX_SCALE}, or null when every number is fine. Jackson reads
     * such numbers (its limits count characters, and {@code 1e999999999} is short), but they
     * cannot be written or computed with.
     */
    public static String outOfRangeNumber(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (node.isBigDecimal() && Math.abs(node.decimalValue().scale()) > MAX_SCALE) {
            return path;
        }
        if (node.isObject()) {
            for (var field : node.properties()) {
                String found = outOfRangeNumber(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = outOfRangeNumber(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Parses JSON that this process wrote itself (stored rows); a failure is a bug, not bad input. */
    public static JsonNode parseTrusted(byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("stored JSON does not parse", e);
        }
    }
}
