package dev.stepstream.stream;

import dev.stepstream.api.ApiError;
import dev.stepstream.api.Params;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The server-side filters of a run stream: {@code types}, {@code minLevel}, {@code steps}.
 * Run events always pass {@code steps}; {@code minLevel} applies to {@code step_log} only.
 * Immutable.
 */
record StreamFilter(Set<EventType> types, LogLevel minLevel, Set<String> steps) {
    static final StreamFilter ALL = new StreamFilter(EnumSet.allOf(EventType.class), LogLevel.DEBUG, null);

    /** @throws ApiError 400 naming the parameter (the rules of {@code minLevel} and {@code steps} are {@link Params}'s) */
    static StreamFilter parse(String types, String minLevel, String steps) {
        Set<EventType> typeSet = EnumSet.allOf(EventType.class);
        if (types != null) {
            typeSet = EnumSet.noneOf(EventType.class);
            for (String type : Params.list(types, "types")) {
                try {
                    typeSet.add(EventType.fromWire(type));
                } catch (IllegalArgumentException e) {
                    throw ApiError.badParameter("types", e.getMessage() + " (expected one of " + Arrays.stream(EventType.values())
                            .map(EventType::wire).collect(Collectors.joining(", ")) + ")");
                }
            }
        }
        return new StreamFilter(typeSet, Params.minLevel(minLevel), Params.steps(steps));
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
