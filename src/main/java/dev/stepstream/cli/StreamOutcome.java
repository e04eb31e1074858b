package dev.stepstream.cli;

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

    /** The server closed the connection with {@code code} (API.md "Liveness and closing"). */
    record Closed(int code, String reason) implements StreamOutcome {
        static final int NORMAL = 1000;
        static final int POLICY = 1008;

        public String describe() {
            String meaning = switch (code) {
                case 1000 -> "normal";
                case 1001 -> "server going away";
                case 1006 -> "closed without a close frame";
                case 1008 -> "policy: the token expired or was revoked";
                case 1009 -> "message too big";
                case 1011 -> "server error";
                case 1013 -> "fell behind or server overloaded";
                default -> "unexpected";
            };
            return "closed with " + code + ", " + meaning + (reason == null || reason.isBlank() ? "" : ": " + reason);
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

    /** No connection could be made at all: refused, unknown host, connect timeout. */
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
