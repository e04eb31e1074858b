package dev.stepstream.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Collects every problem of one document, so that a user fixes them all in one round, and
 * holds the helpers that keep paths and wording alike across the package. Owned by one
 * validation call.
 */
final class Problems {
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");
    private final List<Problem> problems = new ArrayList<>();

    void add(String path, String message) {
        problems.add(new Problem(path, message));
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    void throwIfAny() throws InvalidException {
        if (!problems.isEmpty()) {
            throw new InvalidException(problems);
        }
    }

    /** Reports every field of {@code object} that is not in {@code known}, suggesting a near one. */
    void unknownFields(JsonNode object, String path, Collection<String> known) {
        for (String name : (Iterable<String>) object::fieldNames) {
            if (!known.contains(name)) {
                add(field(path, name), "unknown field" + suggestion(name, known));
            }
        }
    }

    /** {@code steps[0]} + {@code retry} is {@code steps[0].retry}; an odd key is quoted: {@code headers["a.b"]}. */
    static String field(String parent, String name) {
        if (!PLAIN_KEY.matcher(name).matches()) {
            return parent + "[" + Json.text(name) + "]";
        }
        return parent.isEmpty() ? name : parent + "." + name;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** What a value is, for "expected …, got …": {@code a string}, {@code a list}, {@code null}… */
    static String kind(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return "null";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isBoolean()) {
            return value.booleanValue() ? "true" : "false";
        }
        return value.isNumber() ? "a number" : "a " + value.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** A value quoted for a message, cut short: {@code "teleport"}, {@code 5}, {@code {…}}. */
    static String quote(JsonNode value) {
        if (value.isContainerNode()) {
            return value.isObject() ? "a mapping" : "a list";
        }
        String json = Json.text(value);
        return json.length() <= 60 ? json : json.substring(0, 59) + "…";
    }

    /** {@code a, b or c}. */
    static String alternatives(Collection<String> names) {
        List<String> list = List.copyOf(names);
        if (list.size() == 1) {
            return list.get(0);
        }
        return String.join(", ", list.subList(0, list.size() - 1)) + " or " + list.get(list.size() - 1);
    }

    /** {@code  (did you mean "message"?)} when a known name is one or two edits away, else empty. */
    static String suggestion(String name, Collection<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int distance = distance(name.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance && distance < candidate.length()) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? "" : " (did you mean \"" + best + "\"?)";
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
