package dev.stepstream.api;

import dev.stepstream.events.EventFilter;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunStatus;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.workflow.WorkflowValidator;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Path and query parameters, checked: a bad one is a 400 that names it. */
public final class Params {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Entries of a comma-separated parameter ({@code types}, {@code steps}). */
    private static final int MAX_LIST_ENTRIES = 64;

    private Params() {}

    public static UUID runId(RoutingContext ctx) {
        String text = ctx.pathParam("runId");
        if (text == null || !UUID_TEXT.matcher(text).matches()) {
            throw new ApiError(400, "invalid_run_id", "runId: expected a UUID, got \"" + abbreviate(text) + "\"");
        }
        return UUID.fromString(text);
    }

    /** A required run id in the query: a 400 naming the parameter when it is absent or not a UUID. */
    public static UUID runIdQuery(RoutingContext ctx, String name) {
        String text = single(ctx, name);
        if (text == null) {
            throw ApiError.badParameter(name, "required: a run id");
        }
        if (!UUID_TEXT.matcher(text).matches()) {
            throw ApiError.badParameter(name, "expected a run id (a UUID), got \"" + abbreviate(text) + "\"");
        }
        return UUID.fromString(text);
    }

    /** A workflow id from the path; one that cannot exist is simply not found. */
    public static String workflowId(RoutingContext ctx) {
        return ctx.pathParam("workflowId");
    }

    /**
     * {@code ?workflowId=}, the filter of the runs list and the all-runs stream: null when absent, a
     * 400 naming it when no workflow could have it as its id (such a filter would match nothing, for
     * ever, and hide a typo).
     */
    public static String workflowIdQuery(RoutingContext ctx) {
        String text = single(ctx, "workflowId");
        if (text != null && !WorkflowValidator.isWorkflowId(text)) {
            throw ApiError.badParameter("workflowId", "expected a workflow id (" + WorkflowValidator.WORKFLOW_ID_RULE
                    + "), got \"" + abbreviate(text) + "\"");
        }
        return text;
    }

    /**
     * The one value of query parameter {@code name}, or null when it is absent or empty: an empty
     * value asks for the default, as a form's empty field does and as API.md writes its
     * templates ({@code ?workflowId=&status=&limit=50&before=}). Given twice is a 400.
     */
    public static String single(RoutingContext ctx, String name) {
        List<String> values = ctx.queryParam(name);
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiError.badParameter(name, "given more than once");
        }
        String value = values.get(0);
        return value.isEmpty() ? null : value;
    }

    public static long longParam(RoutingContext ctx, String name, long defaultValue, long min, long max) {
        String text = single(ctx, name);
        if (text == null) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiError.badParameter(name, "expected a whole number from " + min + " to " + max + ", got \"" + abbreviate(text) + "\"");
    }

    public static RunStatus status(RoutingContext ctx) {
        String text = single(ctx, "status");
        if (text == null) {
            return null;
        }
        try {
            return RunStatus.fromWire(text);
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("status", "expected " + java.util.Arrays.stream(RunStatus.values()).map(RunStatus::wire)
                    .collect(java.util.stream.Collectors.joining(", ")) + ", got \""
                    + abbreviate(text) + "\"");
        }
    }

    /** {@code ?trigger=}: a trigger type, or null. */
    public static String trigger(RoutingContext ctx) {
        String text = single(ctx, "trigger");
        if (text != null && !RunTrigger.TYPES.contains(text)) {
            throw ApiError.badParameter("trigger", "expected " + String.join(", ", RunTrigger.TYPES) + ", got \""
                    + abbreviate(text) + "\"");
        }
        return text;
    }

    /** The longest {@code ?q=} a search takes, in characters. */
    static final int MAX_QUERY_LENGTH = 200;

    /**
     * The filters of a run's events ({@code types}, {@code minLevel}, {@code steps}, {@code q}) from
     * the query of {@code ctx}: the one parsing of them for the stream, its SSE form and the paged
     * history. Each bad one is a 400 that names it.
     */
    public static EventFilter eventFilter(RoutingContext ctx) {
        Set<EventType> types = EnumSet.allOf(EventType.class);
        String typeList = single(ctx, "types");
        if (typeList != null) {
            types = EnumSet.noneOf(EventType.class);
            for (String type : list(typeList, "types")) {
                try {
                    types.add(EventType.fromWire(type));
                } catch (IllegalArgumentException e) {
                    throw ApiError.badParameter("types", e.getMessage() + " (expected one of " + Arrays.stream(EventType.values())
                            .map(EventType::wire).collect(Collectors.joining(", ")) + ")");
                }
            }
        }
        String q = single(ctx, "q");
        if (q != null && q.length() > MAX_QUERY_LENGTH) {
            throw ApiError.badParameter("q", "at most " + MAX_QUERY_LENGTH + " characters, got " + q.length());
        }
        return new EventFilter(types, minLevel(single(ctx, "minLevel")), steps(single(ctx, "steps")), q);
    }

    /**
     * {@code ?minLevel=}, the lowest {@code step_log} level asked for: DEBUG (every level) when
     * {@code text} is null. The one rule for every route that takes it (the run stream, its SSE
     * form, the log).
     */
    public static LogLevel minLevel(String text) {
        if (text == null) {
            return LogLevel.DEBUG;
        }
        try {
            return LogLevel.fromWire(text);
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("minLevel", e.getMessage());
        }
    }

    /** {@code ?steps=}, a comma-separated list of step ids: null (every step) when {@code text} is null. */
    public static Set<String> steps(String text) {
        if (text == null) {
            return null;
        }
        Set<String> steps = new LinkedHashSet<>();
        for (String step : list(text, "steps")) {
            if (!STEP_ID.matcher(step).matches()) {
                throw ApiError.badParameter("steps", "\"" + abbreviate(step) + "\" is not a step id");
            }
            steps.add(step);
        }
        return steps;
    }

    /** The entries of the comma-separated parameter {@code name}: none empty, at most {@value #MAX_LIST_ENTRIES}. */
    public static String[] list(String text, String name) {
        String[] parts = text.split(",", -1);
        for (String part : parts) {
            if (part.isBlank()) {
                throw ApiError.badParameter(name, "expected a comma-separated list without empty entries");
            }
        }
        if (parts.length > MAX_LIST_ENTRIES) {
            throw ApiError.badParameter(name, "at most " + MAX_LIST_ENTRIES + " entries");
        }
        return parts;
    }

    /**
     * The one rule for {@code after} against a run's log, for its streams and its history: up to
     * the run's last seq; beyond it is a 400, since no client can have been sent it.
     */
    public static void checkAfter(java.util.UUID runId, long after, long lastSeq) {
        if (after > lastSeq) {
            throw ApiError.badParameter("after", "run " + runId + " has no event " + after + " (its last is " + lastSeq + ")");
        }
    }

    public static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
