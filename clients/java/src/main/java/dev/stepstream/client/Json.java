package dev.stepstream.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the client reads and writes, so that it needs nothing but the JDK. Reads into
 * {@code Map<String, Object>} (keys in their order), {@code List<Object>}, {@code String},
 * {@code Long} (or {@code BigInteger}), {@code Double} (or {@code BigDecimal} when a double
 * would lose digits), {@code Boolean} and {@code null}; maps and lists are unmodifiable. Writes
 * the same kinds (any {@code Number}, {@code Map}, {@code Iterable}, array of objects).
 */
final class Json {
    /** Deeper than this is not something a stepstream server sends; refusing it bounds the stack. */
    private static final int MAX_DEPTH = 512;

    private final String text;
    /** Whether the objects and arrays inside the top-level object are left unread ({@link #parseShallow}). */
    private final boolean shallow;
    private int at;

    private Json(String text, boolean shallow) {
        this.text = text;
        this.shallow = shallow;
    }

    /** An object or array value left as its text by {@link #parseShallow}: {@link #parse} reads it. */
    record Unread(String text) {}

    /** The value {@code text} holds; {@link IllegalArgumentException} naming the offset when it is not JSON. */
    static Object parse(String text) {
        Json reader = new Json(text, false);
        reader.space();
        Object value = reader.value(0);
        reader.space();
        if (reader.at != text.length()) {
            throw reader.error("unexpected text after the value");
        }
        return value;
    }

    /**
     * The object {@code text} holds, with its own members read and the objects and arrays among
     * their values left as {@link Unread} text: an envelope's seq and type are read at the cost of
     * skipping over its payload, which is read only if it is asked for ({@link Event#payload()}).
     */
    static Map<String, Object> parseShallow(String text) {
        Json reader = new Json(text, true);
        reader.space();
        if (reader.peek() != '{') {
            throw reader.error("expected an object");
        }
        Map<String, Object> value = reader.object(0);
        reader.space();
        if (reader.at != text.length()) {
            throw reader.error("unexpected text after the value");
        }
        return value;
    }

    /**
     * A member of an object read by {@link #parseShallow} as an object: read now if it was left
     * {@link Unread}; empty when it is not an object (absent, null, or another kind).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object member) {
        Object value = member instanceof Unread unread ? parse(unread.text()) : member;
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    /** Steps over the object or array at {@link #at}, minding strings, and returns its text. */
    private Unread skip() {
        int start = at;
        int depth = 0;
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '"') {
                while (true) {
                    if (at >= text.length()) {
                        throw error("unterminated string");
                    }
                    char d = text.charAt(at++);
                    if (d == '\\') {
                        at++;
                    } else if (d == '"') {
                        break;
                    }
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return new Unread(text.substring(start, at));
            }
        }
        throw error("unexpected end");
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (at >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected '" + c + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        at++;
        Map<String, Object> object = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            at++;
            return Collections.unmodifiableMap(object);
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String key = string();
            space();
            expect(':');
            space();
            object.put(key, shallow && (peek() == '{' || peek() == '[') ? skip() : value(depth + 1));
            space();
            char c = next();
            if (c == '}') {
                return Collections.unmodifiableMap(object);
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        at++;
        List<Object> array = new ArrayList<>();
        space();
        if (peek() == ']') {
            at++;
            return Collections.unmodifiableList(array);
        }
        while (true) {
            space();
            array.add(value(depth + 1));
            space();
            char c = next();
            if (c == ']') {
                return Collections.unmodifiableList(array);
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        at++;
        StringBuilder out = null;
        int start = at;
        while (true) {
            if (at >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(at);
            if (c == '"') {
                String value = out == null ? text.substring(start, at) : out.append(text, start, at).toString();
                at++;
                return value;
            }
            if (c < 0x20) {
                throw error("a control character in a string");
            }
            if (c == '\\') {
                if (out == null) {
                    out = new StringBuilder();
                }
                out.append(text, start, at);
                at++;
                char escape = next();
                switch (escape) {
                    case '"', '\\', '/' -> out.append(escape);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("a short \\u escape");
                        }
                        try {
                            out.append((char) Integer.parseInt(text, at, at + 4, 16));
                        } catch (NumberFormatException e) {
                            throw error("a bad \\u escape");
                        }
                        at += 4;
                    }
                    default -> throw error("a bad escape '\\" + escape + "'");
                }
                start = at;
            } else {
                at++;
            }
        }
    }

    private Object number() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        digits();
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            at++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            digits();
        }
        String number = text.substring(start, at);
        if (integral) {
            BigInteger value = new BigInteger(number);
            return value.bitLength() < 64 ? (Object) value.longValue() : value;
        }
        double value = Double.parseDouble(number);
        return Double.isInfinite(value) || new BigDecimal(number).compareTo(BigDecimal.valueOf(value)) != 0
                ? new BigDecimal(number) : (Object) value;
    }

    private void digits() {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        if (at == start) {
            throw error("expected a digit");
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, at)) {
            throw error("unexpected '" + text.charAt(at) + "'");
        }
        at += word.length();
        return value;
    }

    private void space() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private char next() {
        if (at >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(at++);
    }

    private void expect(char c) {
        if (next() != c) {
            at--;
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("not JSON: " + what + " at offset " + at);
    }

    /** {@code value} as JSON text. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case String string -> quote(string, out);
            case Boolean bool -> out.append(bool);
            case Double number when number.isNaN() || number.isInfinite() ->
                    throw new IllegalArgumentException("JSON has no " + number);
            case Float number when number.isNaN() || number.isInfinite() ->
                    throw new IllegalArgumentException("JSON has no " + number);
            case Number number -> out.append(number);
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!(entry.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys are strings, not " + entry.getKey());
                    }
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    quote(key, out);
                    out.append(':');
                    write(entry.getValue(), out);
                }
                out.append('}');
            }
            case Iterable<?> items -> {
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(item, out);
                }
                out.append(']');
            }
            case Object[] items -> write(Arrays.asList(items), out);
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
