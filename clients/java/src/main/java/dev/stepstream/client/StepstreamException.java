package dev.stepstream.client;

import java.util.Locale;

/** A REST call the server refused, or a follow that cannot go on. */
public class StepstreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong; {@link #wire()} is the name the JavaScript and Python clients use. */
    public enum Kind {
        /** 400: a malformed request (a run id that is not one, a bad parameter). */
        BAD_REQUEST,
        /** 401: no token, or one the server does not know. */
        UNAUTHENTICATED,
        /** 403: the token's role may not do this. */
        FORBIDDEN,
        /** 404: no such run or workflow. */
        NOT_FOUND,
        /** 409: the run's state does not allow it (cancel of an ended run, say). */
        CONFLICT,
        /** 413. */
        TOO_LARGE,
        /** 422: a request the server understood and refused (inputs that do not fit). */
        INVALID,
        /** 429 over REST. (A follow waits out a 429's Retry-After and tries again; past its giveUpAfter, UNAVAILABLE.) */
        RATE_LIMITED,
        /** No usable connection for the follow's {@code giveUpAfter}, or 503 over REST. */
        UNAVAILABLE,
        /** The stream was closed with 1008: the token expired or was revoked. */
        POLICY,
        /** The stream was closed with another code that says not to reconnect. */
        CLOSED,
        /** The run was deleted while it was followed: its history is gone. */
        DELETED,
        /** The server sent something that is not the stream's protocol. */
        PROTOCOL,
        /** Any other HTTP error. */
        HTTP;

        /** The kind as the other clients name it: {@code not_found}, {@code policy}, … */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind ofStatus(int status) {
            return switch (status) {
                case 400 -> BAD_REQUEST;
                case 401 -> UNAUTHENTICATED;
                case 403 -> FORBIDDEN;
                case 404 -> NOT_FOUND;
                case 409 -> CONFLICT;
                case 413 -> TOO_LARGE;
                case 422 -> INVALID;
                case 429 -> RATE_LIMITED;
                case 503 -> UNAVAILABLE;
                default -> HTTP;
            };
        }
    }

    private final Kind kind;
    private final int status;
    private final String code;
    private final Object details;
    private final int closeCode;

    StepstreamException(String message, Kind kind, int status, String code, Object details, int closeCode) {
        super(message);
        this.kind = kind;
        this.status = status;
        this.code = code;
        this.details = details;
        this.closeCode = closeCode;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status, or 0 when none was involved (a close, no connection). */
    public int status() {
        return status;
    }

    /** The API error's code ({@code run_not_found}, {@code invalid_token}, …), or null. */
    public String code() {
        return code;
    }

    /** The API error's details (a list of problems, say), or null. */
    public Object details() {
        return details;
    }

    /** The WebSocket close code that ended the follow, or 0. */
    public int closeCode() {
        return closeCode;
    }
}
