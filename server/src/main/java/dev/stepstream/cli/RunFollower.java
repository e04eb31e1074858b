package dev.stepstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.client.Event;
import dev.stepstream.client.Follow;
import dev.stepstream.client.FollowListener;
import dev.stepstream.client.FollowOptions;
import dev.stepstream.client.StepstreamClient;
import dev.stepstream.client.StepstreamException;
import dev.stepstream.json.JsonTrees;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;

/**
 * Follows a run to its {@code run_complete} with the Java client library ({@code clients/java},
 * {@link Follow}: it resumes with {@code after=<last seq>} on drops and on the close codes that
 * say so, and never yields an event twice or out of order), showing each event once, and
 * returns the exit code: 0 when the run ended {@code success}, 1 when it ended otherwise.
 * Whatever stops it earlier is a {@link Cli.Exit}: exit 1 when the server refused (no such run,
 * no credentials, a close that says not to reconnect, a run deleted meanwhile), exit 2 when
 * there is no server to talk to, the id is refused as malformed, or the stream could not be
 * resumed for {@link #GIVE_UP_AFTER}.
 *
 * <p>What the CLI adds to the library: a line on stderr for each reconnection, the exit codes,
 * and, when the very first connection fails or the stream is refused, a request for the run
 * over REST, whose answer says why in the API's words: an unreachable server or a missing run
 * is one line at once rather than a follow that retries for {@link #GIVE_UP_AFTER}.
 */
final class RunFollower {
    private static final Set<String> TERMINAL = Set.of("success", "failed", "cancelled", "interrupted");
    /** A follow gives up once no connection was usable for this long, and says how to go on. */
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(30);
    /** Reconnections wait from up to 100 ms, doubling, to up to 2 s: a restarting server is back in seconds. */
    private static final Duration BACKOFF_BASE = Duration.ofMillis(100);
    private static final Duration BACKOFF_CAP = Duration.ofSeconds(2);

    private final ApiClient client;
    private final String runId;
    private final RunView view;
    /** Where notices (resuming, a gap in the stream) go, prefixed with {@code command}. */
    private final PrintWriter err;
    private final String command;
    /** {@code --server URL} when one was given, to repeat in the commands suggested. */
    private final String serverOption;
    /** Why the last connection ended; touched only by the thread that follows, as is the next. */
    private String lastReason = "no connection";
    /** Whether a connection to the stream has opened yet. */
    private boolean connectedOnce;

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
        FollowOptions options = FollowOptions.DEFAULTS.after(after).backoff(BACKOFF_BASE, BACKOFF_CAP)
                .giveUpAfter(GIVE_UP_AFTER).listener(new Notices());
        try (StepstreamClient library = client.library(); Follow follow = library.follow(runId, options)) {
            try {
                for (Event event : follow) {
                    show(event);
                    if (follow.available() == 0) {
                        view.flush(); // once per message received, not per event: a long run's history comes in pages
                    }
                    if (event.isRunComplete()) {
                        return "success".equals(event.payload().get("status")) ? Cli.OK : Cli.FAILED;
                    }
                }
            } catch (StepstreamException e) {
                throw exit(e, follow.lastSeq());
            }
            return endedWithoutRunComplete(follow.lastSeq());
        }
    }

    private void show(Event event) {
        if (view.json()) {
            view.showJson(event.json()); // as it came: no tree needed
            return;
        }
        JsonNode envelope;
        try {
            envelope = JsonTrees.read(event.json()); // without the mapper, as every client command reads (JsonTrees)
        } catch (IOException e) {
            throw new ApiClient.ConnectionException("cannot show the run: "
                    + (e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage()));
        }
        view.show(envelope);
    }

    /** Tells of each reconnection on stderr: the library calls it on the thread that follows. */
    private final class Notices implements FollowListener {
        @Override
        public void reconnecting(String reason, long after, int attempt, boolean wasConnected, Duration pause) {
            lastReason = reason;
            connectedOnce |= wasConnected;
            if (!connectedOnce && attempt == 1) {
                checkRun(); // throws, and so ends the follow, when the server is not there or refuses
            }
            if (wasConnected) {
                notice("stream ended (" + reason + "); resuming after seq " + after);
            } else if (attempt == 1) {
                notice("cannot resume yet (" + reason + "); trying for up to " + GIVE_UP_AFTER.toSeconds() + " s");
            }
        }
    }

    /** The exit that a follow which cannot go on ends with. */
    private Cli.Exit exit(StepstreamException e, long lastSeq) {
        return switch (e.kind()) {
            case UNAVAILABLE -> new ApiClient.ConnectionException("lost the stream of run " + runId + " after seq " + lastSeq
                    + " and could not resume it for " + GIVE_UP_AFTER.toSeconds() + " s (" + lastReason + "); to go on: stepstream follow "
                    + runId + " --after " + lastSeq + serverOption);
            case PROTOCOL -> new ApiClient.ConnectionException(e.getMessage());
            case DELETED, POLICY, CLOSED -> new ApiClient.RefusedException(e.getMessage());
            default -> {
                checkRun();
                yield ApiClient.isNotStepstreams(e) ? client.notStepstreams(e) : refusal(e.status(), e.getMessage());
            }
        };
    }

    /**
     * Asks for the run over REST, and throws what its answer means when it is not the run:
     * no server (exit 2, saying where it looked), a malformed id (2), no such run, no or a bad
     * token (1), each in the API's own words.
     */
    private void checkRun() {
        ApiClient.Response run = client.get("/api/v2/workflows/runs/" + runId);
        if (!run.ok()) {
            throw refusal(run.status(), run.errorMessage());
        }
    }

    /** A refused request: exit 2 for a 400 (a malformed id or parameter), else 1. */
    private static Cli.Exit refusal(int status, String message) {
        return status == 400 ? new Cli.Exit(Cli.USAGE, message) : new ApiClient.RefusedException(message);
    }

    /**
     * The server closed normally without a {@code run_complete} after our cursor: that happens
     * when {@code --after} was at or past the end of a finished run. Its status says how it ended.
     */
    private int endedWithoutRunComplete(long lastSeq) {
        ApiClient.Response run = client.get("/api/v2/workflows/runs/" + runId);
        String status = run.body().path("status").asText();
        if (run.ok() && TERMINAL.contains(status)) {
            return "success".equals(status) ? Cli.OK : Cli.FAILED;
        }
        if (run.status() == 404) {
            throw new ApiClient.RefusedException("run " + runId + " was deleted (after seq " + lastSeq + ")");
        }
        throw new ApiClient.ConnectionException("the server closed the stream of run " + runId
                + " normally (1000) before its run_complete, while the run is " + (run.ok() ? status : run.errorMessage()));
    }

    /**
     * One line on stderr, so that the envelopes of {@code --json} on stdout stay clean. Made safe
     * ({@link SafeText}, no colour): it may quote the server, a close reason for one.
     */
    private void notice(String message) {
        view.flush(); // the lines shown so far come before the notice on the screen they share
        view.eraseStatus();
        err.println(command + ": " + SafeText.sanitise(message, false, "⏎"));
        err.flush();
    }
}
