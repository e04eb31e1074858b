package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;

/**
 * An error the API answers with: the status says the class, the body says exactly what
 * ({@code {"error": {"code", "message", "details"}}}, docs/api.md, "Errors").
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final transient JsonNode details;
    private final long retryAfterSeconds;

    public ApiError(int status, String code, String message, JsonNode details) {
        this(status, code, message, details, 0);
    }

    public ApiError(int status, String code, String message) {
        this(status, code, message, null, 0);
    }

    private ApiError(int status, String code, String message, JsonNode details, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * 503 {@code over_capacity}: a limit of this node is reached for now (requests in progress,
     * large answers being sent, connections, a run's subscribers, queued runs). A client may try
     * again in a second ({@code Retry-After: 1}); the clients' follow waits at least that long.
     */
    public static ApiError overCapacity(String message) {
        return new ApiError(503, "over_capacity", message, null, 1);
    }

    /**
     * The {@code WWW-Authenticate} of a 401 (RFC 6750): the scheme to use, and {@code invalid_token}
     * when the one sent was refused (unknown, expired, malformed, another scheme).
     */
    public static String bearerChallenge(boolean tokenRefused) {
        return tokenRefused ? "Bearer realm=\"stepstream\", error=\"invalid_token\"" : "Bearer realm=\"stepstream\"";
    }

    public static ApiError badParameter(String name, String problem) {
        return new ApiError(400, "invalid_parameter", name + ": " + problem,
                Json.object().put("parameter", name));
    }

    /** This error, answered with {@code Retry-After: seconds}. */
    public ApiError retryingAfter(long seconds) {
        return new ApiError(status, code, getMessage(), details, seconds);
    }

    /** The {@code Retry-After} the answer carries, in seconds; 0 for none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** More about the error (the problems of an invalid document, …), or null. */
    public JsonNode details() {
        return details;
    }

    /**
     * Answers the request with this error (on the request's event loop); the future completes once
     * it is written out (or the connection has gone).
     */
    public io.vertx.core.Future<Void> send(io.vertx.ext.web.RoutingContext ctx) {
        return Reply.error(this).send(ctx);
    }

    public byte[] body() {
        ObjectNode error = Json.object().put("code", code).put("message", getMessage());
        if (details != null) {
            error.set("details", details);
        }
        ObjectNode body = Json.object();
        body.set("error", error);
        return Json.bytes(body);
    }
}
