package dev.stepstream.stream;

import dev.stepstream.api.ApiError;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The server-side filters of a run stream: {@code types}, {@code minLevel}, {@code steps}.
 * Run events always pass {@code steps}; {@code minLevel} applies to {@code step_log} only.
 * Immutable.
 */
record StreamFilter(Set<EventType> types, LogLevel minLevel, Set<String> steps) {
    private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final StreamFilter ALL = new StreamFilter(EnumSet.allOf(EventType.class), LogLevel.DEBUG, null);

    /** @throws ApiError 400 naming the parameter */
    static StreamFilter parse(String types, String minLevel, String steps) {
        Set<EventType> typeSet = EnumSet.allOf(EventType.class);
        if (types != null) {
            typeSet = EnumSet.noneOf(EventType.class);
            for (String type : split(types, "types")) {
                try {
                    typeSet.add(EventType.fromWire(type));
                } catch (IllegalArgumentException e) {
                    throw ApiError.badParameter("types", e.getMessage() + " (expected one of " + Arrays.stream(EventType.values())
                            .map(EventType::wire).collect(Collectors.joining(", ")) + ")");
                }
            }
        }
        LogLevel level = LogLevel.DEBUG;
        if (minLevel != null) {
            try {
                level = LogLevel.fromWire(minLevel);
            } catch (IllegalArgumentException e) {
                throw ApiError.badParameter("minLevel", e.getMessage());
            }
        }
        Set<String> stepSet = null;
        if (steps != null) {
            stepSet = new LinkedHashSet<>();
            for (String step : split(steps, "steps")) {
                if (!STEP_ID.matcher(step).matches()) {
                    throw ApiError.badParameter("steps", "\"" + abbreviate(step) + "\" is not a step id");
                }
                stepSet.add(step);
            }
        }
        return new StreamFilter(typeSet, level, stepSet);
    }

    private static String[] split(String list, String name) {
        String[] parts = list.split(",", -1);
        for (String part : parts) {
            if (part.isBlank()) {
                throw ApiError.badParameter(name, "expected a comma-separated list without empty entries");
            }
        }
        if (parts.length > 64) {
            throw ApiError.badParameter(name, "at most 64 entries");
        }
        return parts;
    }

    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }

    boolean accepts(RunEvent event) {
        if (!types.contains(event.type())) {
            return false;
        }
        boolean stepEvent = !event.type().isRunEvent();
        if (steps != null && stepEvent && !steps.contains(event.payload().path("stepId").asText())) {
            return false;
        }
        if (event.type() == EventType.STEP_LOG && minLevel != LogLevel.DEBUG) {
            try {
                return LogLevel.fromWire(event.payload().path("level").asText()).compareTo(minLevel) >= 0;
            } catch (IllegalArgumentException e) {
                return true;
            }
        }
        return true;
    }
}
