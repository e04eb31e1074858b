package dev.stepstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;

/**
 * Follows a run to its {@code run_complete} over the run stream (docs/api.md, "The run stream",
 * {@code batch=1}), showing each event once, and returns the exit code: 0 when the run ended
 * {@code success}, 1 when it ended otherwise. Whatever stops it earlier is a {@link Cli.Exit}:
 * exit 1 when the server refused (no such run, no credentials, a close that says not to
 * reconnect, a run deleted meanwhile), exit 2 when there is no server to talk to, the id is refused as malformed, or
 * the stream could not be resumed for {@link Backoff#GIVE_UP_AFTER}.
 *
 * <p>Resuming: the follower remembers the seq of the last event it showed. When a connection
 * drops, or closes with a code whose {@link dev.stepstream.stream.CloseCode#reconnect()} says so
 * (1001 the server is stopping, 1013 we fell behind; the server's own table, not a copy of it),
 * it opens another with {@code after=<that seq>}, and the server sends every
 * later event exactly once. Events at or below the cursor are skipped all the same, so an
 * event is never lost nor shown twice, whatever the connections do.
 */
final class RunFollower {
    private static final Set<String> TERMINAL = Set.of("success", "failed", "cancelled", "interrupted");

    private final ApiClient client;
    private final String runId;
    private final RunView view;
    /** Where notices (resuming, a gap in the stream) go, prefixed with {@code command}. */
    private final PrintWriter err;
    private final String command;
    /** {@code --server URL} when one was given, to repeat in the commands suggested. */
    private final String serverOption;

    /**
     * The seq of the last event shown. Guarded by {@code this}: a connection given up for dead
     * may still be delivering while its successor starts, and the lock with this cursor lets
     * only one of them show a given event.
     */
    private long cursor;

    RunFollower(ApiClient client, String runId, RunView view, PrintWriter err, String command, String serverOption) {
        this.serverOption = serverOption;
        this.client = client;
        this.runId = runId;
        this.view = view;
        this.err = err;
        this.command = command;
    }

    /**
     * Shows the run's events after seq {@code after} until {@code run_complete}; returns the exit
     * code. Ctrl-C meanwhile ends the JVM with 130 (the JVM's own exit code for SIGINT) after one
     * line saying that the run continues and how to cancel it.
     */
    int follow(long after) {
        Thread onInterrupt = new Thread(() -> {
            view.stop();
            notice("interrupted; run " + runId + " continues on the server;"
                    + " to cancel it: stepstream cancel " + runId + serverOption);
        });
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        view.start();
        try {
            return followFrom(after);
        } finally {
            view.stop();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C came as the run ended: the hook says its line
            }
        }
    }

    private int followFrom(long after) {
        synchronized (this) {
            cursor = after;
        }
        boolean connectedOnce = false;
        Backoff backoff = null;
        while (true) {
            StreamConnection.Result attempt = StreamConnection.attempt(client,
                    client.webSocketUri("/api/v2/workflows/runs/" + runId + "/stream?batch=1&after=" + cursor()), this::show);
            connectedOnce |= attempt.opened();
            Integer exitCode = exitCode(attempt.outcome(), connectedOnce);
            if (exitCode != null) {
                return exitCode;
            }
            if (attempt.heard() || backoff == null) {
                backoff = new Backoff(System.nanoTime());
            }
            if (attempt.opened()) {
                notice("stream ended (" + attempt.outcome().describe() + "); resuming after seq " + cursor());
            } else if (backoff.attempts() == 1) {
                notice("cannot resume yet (" + attempt.outcome().describe() + "); trying for up to "
                        + Backoff.GIVE_UP_AFTER.toSeconds() + " s");
            }
            Duration pause = backoff.next(System.nanoTime(), attempt.outcome().retryAfter());
            if (pause == null) {
                throw new ApiClient.ConnectionException("lost the stream of run " + runId + " after seq " + cursor()
                        + " and could not resume it for " + Backoff.GIVE_UP_AFTER.toSeconds() + " s ("
                        + attempt.outcome().describe() + "); to go on: stepstream follow " + runId + " --after " + cursor() + serverOption);
            }
            sleep(pause);
        }
    }

    /**
     * The exit code when a connection's outcome ends the follow, null when another connection
     * is worth trying: a drop, a close whose {@link dev.stepstream.stream.CloseCode} says to
     * reconnect (1001, 1011, 1013), 429, 503, or a server that went away after we had reached it
     * once (it may be restarting). Throws when trying again cannot help: exit 1 for a refusal
     * (404, 401, 403, a close that says not to reconnect), 2 for a usage error (400) or no server.
     */
    private Integer exitCode(StreamOutcome outcome, boolean connectedOnce) {
        return switch (outcome) {
            case StreamOutcome.Completed completed -> "success".equals(completed.status()) ? Cli.OK : Cli.FAILED;
            case StreamOutcome.Closed closed when closed.closeCode().orElse(null) == dev.stepstream.stream.CloseCode.NORMAL
                    && dev.stepstream.stream.CloseCode.RUN_DELETED.equals(closed.reason()) -> throw runDeleted();
            case StreamOutcome.Closed closed when closed.closeCode().orElse(null) == dev.stepstream.stream.CloseCode.NORMAL ->
                    endedWithoutRunComplete();
            case StreamOutcome.Closed closed when !closed.reconnect() ->
                    throw new ApiClient.RefusedException("the server ended the stream: " + closed.describe());
            case StreamOutcome.Refused refused when refused.status() == 400 -> throw new Cli.Exit(Cli.USAGE, refused.message());
            case StreamOutcome.Refused refused when !refused.retryable() -> throw new ApiClient.RefusedException(
                    refused.message() + (refused.status() == 404 || refused.status() == 401 ? "" : " (HTTP " + refused.status() + ")"));
            case StreamOutcome.Unreachable unreachable when !connectedOnce -> throw client.unreachable(unreachable.why());
            case StreamOutcome.Broken broken -> throw new ApiClient.ConnectionException(broken.why());
            default -> null;
        };
    }

    /**
     * The server closed normally without a {@code run_complete} after our cursor: that happens
     * when {@code --after} was at or past the end of a finished run. Its status says how it ended.
     */
    private int endedWithoutRunComplete() {
        ApiClient.Response run = client.get("/api/v2/workflows/runs/" + runId);
        String status = run.body().path("status").asText();
        if (run.ok() && TERMINAL.contains(status)) {
            return "success".equals(status) ? Cli.OK : Cli.FAILED;
        }
        if (run.status() == 404) {
            throw runDeleted();
        }
        throw new ApiClient.ConnectionException("the server closed the stream of run " + runId
                + " normally (1000) before its run_complete, while the run is " + (run.ok() ? status : run.errorMessage()));
    }

    /** The run was deleted while we followed it: its history is gone, and no run_complete will come. */
    private ApiClient.RefusedException runDeleted() {
        return new ApiClient.RefusedException("run " + runId + " was deleted (after seq " + cursor() + ")");
    }

    private synchronized long cursor() {
        return cursor;
    }

    /**
     * Shows the envelopes of one message (one per line with {@code batch=1}) that are past the
     * cursor. Returns the run's final status once its {@code run_complete} was shown, else null.
     */
    private synchronized String show(String message) {
        for (String line : message.split("\n")) {
            String text = line.strip();
            if (text.isEmpty()) {
                continue;
            }
            JsonNode envelope;
            try {
                envelope = Json.MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                throw new StreamConnection.ProtocolException("the server sent a line that is not JSON: "
                        + (text.length() > 200 ? text.substring(0, 200) + "…" : text));
            }
            JsonNode seq = envelope.path("seq");
            if (!seq.canConvertToLong() || seq.asLong() <= cursor) {
                continue; // a control message (caught_up, pong: no seq), or shown by an earlier connection
            }
            if (seq.asLong() > cursor + 1) {
                throw new StreamConnection.LostEventsException("events " + (cursor + 1)
                        + (seq.asLong() - 1 > cursor + 1 ? ".." + (seq.asLong() - 1) : "") + " went missing on the way");
            }
            view.show(envelope, text);
            cursor = seq.asLong();
            if ("run_complete".equals(envelope.path("type").asText())) {
                return envelope.path("payload").path("status").asText();
            }
        }
        return null;
    }

    /**
     * One line on stderr, so that the envelopes of {@code --json} on stdout stay clean. Made safe
     * ({@link SafeText}, no colour): it may quote the server, a close reason for one.
     */
    private void notice(String message) {
        view.eraseStatus();
        err.println(command + ": " + SafeText.sanitise(message, false, "⏎"));
        err.flush();
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClient.ConnectionException("interrupted");
        }
    }
}
