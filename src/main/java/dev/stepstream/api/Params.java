package dev.stepstream.api;

import dev.stepstream.events.RunStatus;
import dev.stepstream.store.RunTrigger;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** Path and query parameters, checked: a bad one is a 400 that names it. */
public final class Params {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    static final Pattern WORKFLOW_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    private Params() {}

    public static UUID runId(RoutingContext ctx) {
        String text = ctx.pathParam("runId");
        if (text == null || !UUID_TEXT.matcher(text).matches()) {
            throw new ApiError(400, "invalid_run_id", "runId: expected a UUID, got \"" + abbreviate(text) + "\"");
        }
        return UUID.fromString(text);
    }

    /** A workflow id from the path; one that cannot exist is simply not found. */
    public static String workflowId(RoutingContext ctx) {
        return ctx.pathParam("workflowId");
    }

    public static String single(RoutingContext ctx, String name) {
        List<String> values = ctx.queryParam(name);
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiError.badParameter(name, "given more than once");
        }
        return values.get(0);
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
            throw ApiError.badParameter("status", "expected queued, running, success, failed, cancelled or interrupted, got \""
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

    public static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
