package dev.stepstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Follows a run to its {@code run_complete} over the run stream (API.md "The run stream"),
 * showing each event once, and returns the exit code: 0 when the run ended {@code success},
 * 1 when it ended otherwise. Anything that stops it earlier is a {@link ApiClient.ConnectionException}
 * (exit 2): the server cannot be reached, the upgrade is refused (bad id, no such run, no
 * credentials), or the stream could not be resumed for {@link #GIVE_UP_AFTER}.
 *
 * <p>Resuming: the follower remembers the seq of the last event it showed. When a connection
 * drops or closes with anything but 1000 (1001 the server is stopping, 1013 we fell behind,
 * a network error) it opens another with {@code after=<that seq>}, and the server sends every
 * later event exactly once. Events at or below the cursor are skipped all the same, so an
 * event is never lost nor shown twice, whatever the server's connections do.
 *
 * <p>Threads and memory: each message is split, parsed and shown on the WebSocket listener's
 * thread, which asks for the next message only afterwards ({@code request(1)}). A slow
 * terminal therefore slows the server's writes (past its write timeout it closes with 1013,
 * and we resume) instead of queueing events here. The calling thread opens connections one at
 * a time and watches each for silence.
 */
final class RunFollower {
    /** The pause before the first reconnection attempt; it doubles with each failed one. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** How long consecutive attempts that receive nothing may go on before the follower gives up. */
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    /** A quiet connection gets a ping frame; one quiet for {@link #DEAD_AFTER} is given up as dead. */
    private static final Duration QUIET = Duration.ofSeconds(15);
    private static final Duration DEAD_AFTER = Duration.ofSeconds(45);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);
    /** A message this large did not come from a stepstream server; refusing it bounds memory. */
    private static final int MAX_MESSAGE_CHARS = 64 << 20;
    private static final int NORMAL_CLOSURE = 1000;
    private static final int POLICY_VIOLATION = 1008;
    private static final Set<String> TERMINAL = Set.of("success", "failed", "cancelled", "interrupted");

    private final ApiClient client;
    private final String runId;
    private final RunView view;
    /** Where notices (reconnecting, a gap in the stream) go, prefixed with {@code command}. */
    private final PrintWriter err;
    private final String command;

    /**
     * The seq of the last event shown. Guarded by {@code this}: a connection given up for dead
     * may still be delivering while its successor starts, and the lock with this cursor lets
     * only one of them show a given event.
     */
    private long cursor;

    RunFollower(ApiClient client, String runId, RunView view, PrintWriter err, String command) {
        this.client = client;
        this.runId = runId;
        this.view = view;
        this.err = err;
        this.command = command;
    }

    /** Shows the run's events after seq {@code after} until {@code run_complete}; returns the exit code. */
    int follow(long after) {
        synchronized (this) {
            cursor = after;
        }
        boolean connectedOnce = false;
        Backoff backoff = null;
        while (true) {
            Attempt attempt = connect();
            connectedOnce |= attempt.opened();
            Integer exitCode = exitCode(attempt.outcome(), connectedOnce);
            if (exitCode != null) {
                return exitCode;
            }
            if (attempt.heard() || backoff == null) {
                backoff = new Backoff(System.nanoTime());
            }
            if (attempt.opened()) {
                notice("stream ended (" + attempt.outcome().describe() + "); resuming after seq " + cursorNow());
            } else if (backoff.attempts() == 1) {
                notice("cannot resume yet (" + attempt.outcome().describe() + "); trying for up to "
                        + GIVE_UP_AFTER.toSeconds() + " s");
            }
            Duration pause = backoff.next(System.nanoTime(), attempt.outcome().retryAfter());
            if (pause == null) {
                long last = cursorNow();
                throw new ApiClient.ConnectionException("lost the stream of run " + runId + " after seq " + last
                        + " and could not resume it for " + GIVE_UP_AFTER.toSeconds() + " s ("
                        + attempt.outcome().describe() + "); to go on: stepstream follow " + runId + " --after " + last);
            }
            sleep(pause);
        }
    }

    /**
     * The exit code when a connection's outcome ends the follow, null when another connection
     * is worth trying: a drop, 1001, 1011, 1013, 429, 503, or a server that went away after we
     * had reached it once (it may be restarting). Throws when nothing will get better by trying.
     */
    private Integer exitCode(Outcome outcome, boolean connectedOnce) {
        return switch (outcome) {
            case Outcome.Completed completed -> "success".equals(completed.status()) ? Cli.OK : Cli.FAILED;
            case Outcome.Closed closed when closed.code() == NORMAL_CLOSURE -> endedWithoutRunComplete();
            case Outcome.Closed closed when closed.code() == POLICY_VIOLATION ->
                    throw new ApiClient.ConnectionException("the server ended the stream: " + closed.describe());
            case Outcome.Refused refused when !refused.retryable() -> throw new ApiClient.ConnectionException(
                    refused.message() + (refused.status() == 400 || refused.status() == 404 ? "" : " (HTTP " + refused.status() + ")"));
            case Outcome.Unreachable unreachable when !connectedOnce ->
                    throw new ApiClient.ConnectionException("cannot reach " + client.server() + ": " + unreachable.why());
            case Outcome.Broken broken -> throw new ApiClient.ConnectionException(broken.why());
            default -> null;
        };
    }

    /**
     * The server closed normally without a {@code run_complete} after our cursor: that happens
     * when {@code --after} was at or past the run's end. The run's status then says how it ended.
     */
    private int endedWithoutRunComplete() {
        ApiClient.Response run = client.get("/api/v2/workflows/runs/" + runId);
        String status = run.body().path("status").asText();
        if (run.ok() && TERMINAL.contains(status)) {
            return "success".equals(status) ? Cli.OK : Cli.FAILED;
        }
        throw new ApiClient.ConnectionException("the server closed the stream of run " + runId
                + " normally (1000) before its run_complete, while the run is " + (run.ok() ? status : run.errorMessage()));
    }

    private Attempt connect() {
        Connection connection = new Connection();
        URI uri = client.webSocketUri("/api/v2/workflows/runs/" + runId + "/stream?batch=1&after=" + cursorNow());
        WebSocket.Builder builder = client.http().newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (client.token() != null) {
            builder.header("Authorization", "Bearer " + client.token());
        }
        CompletableFuture<WebSocket> opening = builder.buildAsync(uri, connection);
        WebSocket socket;
        try {
            socket = opening.get(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return new Attempt(refusal(e.getCause()), false, false);
        } catch (TimeoutException e) {
            opening.cancel(true);
            return new Attempt(new Outcome.Dropped("no answer to the upgrade within " + HANDSHAKE_TIMEOUT.toSeconds() + " s"),
                    false, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClient.ConnectionException("interrupted");
        }
        Outcome outcome = null;
        try {
            outcome = connection.await(socket);
            return new Attempt(outcome, true, connection.heard);
        } finally {
            connection.close(socket, outcome instanceof Outcome.Completed);
        }
    }

    /** What a failed upgrade means: an HTTP error (with the API's error message) or no connection at all. */
    private static Outcome refusal(Throwable failure) {
        if (failure instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            Object body = response.body();
            ApiClient.Response error = new ApiClient.Response(response.statusCode(), parse(body));
            Duration retryAfter = response.headers().firstValue("Retry-After").flatMap(RunFollower::seconds).orElse(null);
            return new Outcome.Refused(response.statusCode(), error.errorMessage(), retryAfter);
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException
                    || cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return new Outcome.Unreachable(cause instanceof ConnectException && cause.getMessage() == null
                        ? "connection refused" : message(cause));
            }
        }
        return new Outcome.Dropped(message(failure));
    }

    private static JsonNode parse(Object body) {
        String text = body instanceof String s ? s : body instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : "";
        try {
            return text.isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return Json.MAPPER.nullNode();
        }
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String message(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    private synchronized long cursorNow() {
        return cursor;
    }

    /**
     * Shows the envelopes of one message (one per line with {@code batch=1}) that are past the
     * cursor. Returns the run's final status once its {@code run_complete} was shown, else null.
     */
    private synchronized String show(String message) {
        String status = null;
        for (String line : message.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String text = line.strip();
            JsonNode envelope;
            try {
                envelope = Json.MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                throw new ProtocolException("the server sent a line that is not JSON: " + abbreviate(text));
            }
            JsonNode seq = envelope.path("seq");
            if (!seq.canConvertToLong()) {
                continue; // caught_up, pong: control messages carry no seq and are not shown
            }
            if (seq.asLong() <= cursor) {
                continue; // already shown by an earlier connection
            }
            if (seq.asLong() > cursor + 1) {
                notice("warning: the stream skipped events " + (cursor + 1)
                        + (seq.asLong() - 1 > cursor + 1 ? ".." + (seq.asLong() - 1) : "") + " of run " + runId);
            }
            view.show(envelope, text);
            cursor = seq.asLong();
            if ("run_complete".equals(envelope.path("type").asText())) {
                status = envelope.path("payload").path("status").asText();
                break;
            }
        }
        return status;
    }

    /** One line on stderr, so that the envelopes of {@code --json} on stdout stay clean. */
    private void notice(String message) {
        err.println(command + ": " + message);
        err.flush();
    }

    private static String abbreviate(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClient.ConnectionException("interrupted");
        }
    }

    /** How one connection ended. */
    private sealed interface Outcome {
        String describe();

        default Duration retryAfter() {
            return null;
        }

        /** The run_complete was shown; {@code status} is the run's final status. */
        record Completed(String status) implements Outcome {
            public String describe() {
                return "run " + status;
            }
        }

        /** The server closed the connection with {@code code}. */
        record Closed(int code, String reason) implements Outcome {
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
        record Dropped(String why) implements Outcome {
            public String describe() {
                return why;
            }
        }

        /** The upgrade was answered with an HTTP error; 429 and 503 are worth retrying. */
        record Refused(int status, String message, Duration retryAfter) implements Outcome {
            boolean retryable() {
                return status == 429 || status == 503 || status == 502 || status == 504;
            }

            public String describe() {
                return "HTTP " + status + ": " + message;
            }
        }

        /** No connection could be made at all (refused, unknown host, connect timeout). */
        record Unreachable(String why) implements Outcome {
            public String describe() {
                return "cannot connect: " + why;
            }
        }

        /** The server broke the protocol; trying again would see the same. */
        record Broken(String why) implements Outcome {
            public String describe() {
                return why;
            }
        }
    }

    private record Attempt(Outcome outcome, boolean opened, boolean heard) {}

    private static final class ProtocolException extends RuntimeException {
        ProtocolException(String message) {
            super(message);
        }
    }

    /** Paces the attempts of one streak of failures and ends it {@link #GIVE_UP_AFTER} after it began. */
    private static final class Backoff {
        private final long deadline;
        private Duration next = FIRST_BACKOFF;
        private int attempts;

        Backoff(long startNanos) {
            this.deadline = startNanos + GIVE_UP_AFTER.toNanos();
        }

        int attempts() {
            return attempts;
        }

        /** The pause before the next attempt, at least {@code hint} when given; null once the time is up. */
        Duration next(long nowNanos, Duration hint) {
            long left = deadline - nowNanos;
            if (left <= 0) {
                return null;
            }
            Duration pause = hint != null && hint.compareTo(next) > 0 ? hint : next;
            next = next.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next.multipliedBy(2);
            attempts++;
            return pause.toNanos() > left ? Duration.ofNanos(left) : pause;
        }
    }

    /**
     * One WebSocket connection's listener. The JDK calls it on one thread at a time; {@code heard}
     * and {@code lastHeard} are read by the calling thread that watches for silence.
     */
    private final class Connection implements WebSocket.Listener {
        private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        /** Parts of a message split over several frames; only touched by the listener. */
        private final StringBuilder parts = new StringBuilder();
        volatile boolean heard;
        private volatile long lastHeard = System.nanoTime();
        private volatile boolean busy;

        @Override
        public void onOpen(WebSocket socket) {
            socket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            busy = true;
            try {
                heard();
                if (parts.length() + data.length() > MAX_MESSAGE_CHARS) {
                    throw new ProtocolException("the server sent a message over " + (MAX_MESSAGE_CHARS >> 20) + " MiB");
                }
                parts.append(data);
                if (last) {
                    String message = parts.toString();
                    parts.setLength(0);
                    if (!outcome.isDone()) {
                        String status = show(message);
                        if (status != null) {
                            outcome.complete(new Outcome.Completed(status));
                        }
                    }
                }
            } catch (ProtocolException e) {
                outcome.complete(new Outcome.Broken(e.getMessage()));
            } catch (RuntimeException e) {
                outcome.complete(new Outcome.Broken("cannot show the run: " + message(e)));
            } finally {
                heard();
                busy = false;
            }
            socket.request(1); // once the outcome is known, what follows (its close frame) is only drained
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            heard();
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
            heard(); // the JDK answers with a pong by itself
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
            heard();
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            outcome.complete(new Outcome.Closed(statusCode, reason));
            closed.complete(null);
            return null; // the JDK then answers with its close frame
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            outcome.complete(new Outcome.Dropped(message(error)));
            closed.complete(null);
        }

        private void heard() {
            heard = true;
            lastHeard = System.nanoTime();
        }

        /** Waits for the connection to end, pinging it when quiet and giving it up when silent too long. */
        Outcome await(WebSocket socket) {
            while (true) {
                try {
                    return outcome.get(QUIET.toMillis() / 3, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    long quiet = System.nanoTime() - lastHeard;
                    if (busy) {
                        continue; // our own output is slow, not the network
                    }
                    if (quiet > DEAD_AFTER.toNanos()) {
                        outcome.complete(new Outcome.Dropped("nothing heard from the server for " + DEAD_AFTER.toSeconds() + " s"));
                    } else if (quiet > QUIET.toNanos()) {
                        socket.sendPing(ByteBuffer.allocate(0));
                    }
                } catch (ExecutionException e) {
                    return new Outcome.Dropped(message(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ApiClient.ConnectionException("interrupted");
                }
            }
        }

        /**
         * Releases the connection. After {@code run_complete} the server closes with 1000: its
         * close frame is awaited briefly (the JDK answers it), and if it does not come we close.
         */
        void close(WebSocket socket, boolean completed) {
            try {
                if (completed && !closed.isDone()) {
                    closed.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (ExecutionException | TimeoutException e) {
                try {
                    socket.sendClose(NORMAL_CLOSURE, "").get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException | RuntimeException ignored) {
                    // It is going away either way.
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                socket.abort();
            }
        }
    }
}
