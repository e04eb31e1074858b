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
import java.math.BigDecimal;
import java.math.BigInteger;
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

    /**
     * The most characters a number may have written out in full, as {@link #MAPPER} writes every
     * number ({@code 1e3} as {@code 1000}): what a document that stepstream reads may hold
     * ({@link JsonTrees}' limit), so that whatever it stores and sends, it and its clients can
     * read back. {@code 1e400} is short as written, but 401 characters written out: a stored
     * event or variable holding it could not be read again, and with it the run.
     */
    public static final int MAX_NUMBER_CHARS = 100;

    /** Why a number is refused: the words of every such error, after the path. */
    public static String numberTooLongWhy(long length) {
        return "a number may have at most " + MAX_NUMBER_CHARS + " characters written out in full (this one has " + length + ")";
    }

    /** The characters {@code number} has written out in full (its plain form), counted without writing it. */
    public static long writtenLength(BigDecimal number) {
        int scale = number.scale();
        long length;
        if (number.signum() == 0) {
            length = scale > 0 ? scale + 2L : 1; // 0.000, or 0
        } else {
            long precision = number.precision();
            length = scale <= 0 ? precision - scale : precision > scale ? precision + 1 : scale + 2L;
        }
        return number.signum() < 0 ? length + 1 : length;
    }

    /** {@link #writtenLength} of any number a tree or an expression holds. */
    public static long writtenLength(Number number) {
        return switch (number) {
            case BigDecimal d -> writtenLength(d);
            case BigInteger i -> writtenLength(new BigDecimal(i));
            case Double d -> 0; // written in E-notation (1.0E300): short
            case Float f -> 0;
            default -> number.toString().length(); // int, long
        };
    }

    /**
     * The path ({@code inputs.n}, {@code steps[0].x}) and length of the first number in
     * {@code node} longer than {@link #MAX_NUMBER_CHARS} written out, or null when every number
     * fits. Jackson reads {@code 1e400} (its limit counts the characters as written).
     */
    public static TooLong numberTooLong(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (node.isBigDecimal() || node.isBigInteger()) {
            long length = writtenLength(node.numberValue());
            return length > MAX_NUMBER_CHARS ? new TooLong(path, length) : null;
        }
        if (node.isObject()) {
            for (var field : node.properties()) {
                TooLong found = numberTooLong(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                TooLong found = numberTooLong(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** A number too long written out: where, and how long. */
    public record TooLong(String path, long length) {
        /** {@code inputs.n: a number may have at most 100 characters written out in full (this one has 401)}. */
        public String message() {
            return (path.isEmpty() ? "" : path + ": ") + numberTooLongWhy(length);
        }
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
