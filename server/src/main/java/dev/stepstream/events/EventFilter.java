package dev.stepstream.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which events of a run a reader asked for: {@code types}, {@code minLevel}, {@code steps} and
 * {@code q} (docs/api.md, "Filters"). The one rule for the run stream (WebSocket and SSE), the
 * paged history and the log download.
 *
 * <ul>
 *   <li>{@code types}: the event types let through.
 *   <li>{@code minLevel}: applies to {@code step_log} only; a level this node does not know passes.
 *   <li>{@code steps}: applies to step events only (run events always pass); null for every step.
 *   <li>{@code text} ({@code ?q=}): the event's message or values contain it, ignoring case —
 *       see {@link #mentions}; null for no search.
 * </ul>
 *
 * <p>Immutable; {@code text} is kept in lower case ({@link Locale#ROOT}).
 */
public record EventFilter(Set<EventType> types, LogLevel minLevel, Set<String> steps, String text) {
    public static final EventFilter ALL = new EventFilter(EnumSet.allOf(EventType.class), LogLevel.DEBUG, null, null);

    /**
     * The payload fields a search reads: messages, errors, and values (a variable's name and
     * values, a step's outputs, a run's inputs; a value that is not text is read as its JSON),
     * and a decision's comment. Ids, levels, statuses and times are not searched: they are
     * filters of their own, or every event would match them.
     */
    private static final List<String> SEARCHED = List.of(
            "message", "error", "varName", "oldValue", "newValue", "outputs", "inputs");

    public EventFilter {
        types = types.isEmpty() ? Set.of() : EnumSet.copyOf(types);
        steps = steps == null ? null : Set.copyOf(steps);
        text = text == null || text.isEmpty() ? null : text.toLowerCase(Locale.ROOT);
    }

    /** Whether it lets every event through (the history and stream then skip the payloads). */
    public boolean all() {
        return types.size() == EventType.values().length && minLevel == LogLevel.DEBUG && steps == null && text == null;
    }

    public boolean accepts(RunEvent event) {
        if (!types.contains(event.type())) {
            return false;
        }
        if (steps == null && text == null && (minLevel == LogLevel.DEBUG || event.type() != EventType.STEP_LOG)) {
            return true; // the payload need not be read
        }
        return accepts(event.type(), event.payload());
    }

    /** {@link #accepts(RunEvent)} for an event whose payload the caller has parsed (and will drop). */
    public boolean accepts(EventType type, JsonNode payload) {
        if (!types.contains(type)) {
            return false;
        }
        if (steps != null && !type.isRunEvent() && !steps.contains(payload.path("stepId").asText())) {
            return false;
        }
        if (type == EventType.STEP_LOG && !atLeast(payload.path("level").asText())) {
            return false;
        }
        return text == null || mentions(payload, text);
    }

    private boolean atLeast(String level) {
        if (minLevel == LogLevel.DEBUG) {
            return true;
        }
        try {
            return LogLevel.fromWire(level).compareTo(minLevel) >= 0;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** Whether one of the {@link #SEARCHED} fields of {@code payload} contains {@code lower}, ignoring case. */
    static boolean mentions(JsonNode payload, String lower) {
        for (String field : SEARCHED) {
            JsonNode value = payload.get(field);
            if (value == null || value.isNull()) {
                continue;
            }
            if (contains(value, lower)) {
                return true;
            }
        }
        JsonNode comment = payload.path("decision").path("comment");
        return comment.isTextual() && contains(comment, lower);
    }

    private static boolean contains(JsonNode value, String lower) {
        String text = value.isTextual() ? value.textValue() : value.toString();
        return text.toLowerCase(Locale.ROOT).contains(lower);
    }
}
