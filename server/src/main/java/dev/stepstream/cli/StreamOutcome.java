package dev.stepstream.cli;

import dev.stepstream.stream.CloseCode;
import java.time.Duration;

/** How one connection to a run stream ended, as {@link RunFollower} decides what to do next. */
sealed interface StreamOutcome {
    /** For a person: what happened, in a few words. */
    String describe();

    /** How long the server asked us to wait before trying again, or null. */
    default Duration retryAfter() {
        return null;
    }

    /** The run_complete was shown; {@code status} is the run's final status. */
    record Completed(String status) implements StreamOutcome {
        public String describe() {
            return "run " + status;
        }
    }

    /**
     * The server closed the connection with {@code code}; what it means, and whether to
     * reconnect, is {@link CloseCode}'s (docs/api.md, "The run stream"), the one table the
     * server closes by.
     */
    record Closed(int code, String reason) implements StreamOutcome {
        /** The server's close code, if it is one the server sends. */
        java.util.Optional<CloseCode> closeCode() {
            return CloseCode.of(code);
        }

        /**
         * Whether to reconnect with {@code after}: as {@link CloseCode#reconnect()} says; a code
         * the server does not send (1006: closed without a close frame) is a dropped connection.
         */
        boolean reconnect() {
            return closeCode().map(CloseCode::reconnect).orElse(true);
        }

        public String describe() {
            String name = closeCode().map(known -> " (" + known.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")")
                    .orElse("");
            return "closed with " + code + name + (reason == null || reason.isBlank() ? "" : ": " + reason);
        }
    }

    /** The connection failed under us: a network error, silence, no answer to the upgrade. */
    record Dropped(String why) implements StreamOutcome {
        public String describe() {
            return why;
        }
    }

    /** The upgrade was answered with an HTTP error, {@code message} from the API's error body. */
    record Refused(int status, String message, Duration retryAfter) implements StreamOutcome {
        /** Over capacity or rate limited: worth another try; 400, 401, 403, 404 are not. */
        boolean retryable() {
            return status == 429 || status == 502 || status == 503 || status == 504;
        }

        public String describe() {
            return "HTTP " + status + ": " + message;
        }
    }

    /** No connection could be made at all: refused, unknown host, connect timeout, TLS failed. */
    record Unreachable(String why) implements StreamOutcome {
        public String describe() {
            return "cannot connect: " + why;
        }
    }

    /** The server broke the protocol, or the run cannot be shown; trying again would do the same. */
    record Broken(String why) implements StreamOutcome {
        public String describe() {
            return why;
        }
    }
}
