package dev.stepstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * Follows a run to its end from the history endpoint, resuming after the last seq it showed,
 * so that each event is shown once even across connection errors.
 */
final class RunFollower {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int MAX_CONNECTION_FAILURES = 10;

    private final ApiClient client;
    private final String runId;
    private final RunView view;

    RunFollower(ApiClient client, String runId, RunView view) {
        this.client = client;
        this.runId = runId;
        this.view = view;
    }

    /** Shows events after {@code after} until {@code run_complete}; returns the exit code. */
    int follow(long after) {
        long cursor = after;
        int failures = 0;
        while (true) {
            ApiClient.Response page;
            try {
                page = client.get("/api/v2/workflows/runs/" + runId + "/events?after=" + cursor + "&limit=1000");
                failures = 0;
            } catch (ApiClient.ConnectionException e) {
                if (++failures > MAX_CONNECTION_FAILURES) {
                    throw e;
                }
                pause();
                continue;
            }
            if (!page.ok()) {
                throw new ApiClient.ConnectionException(page.errorMessage());
            }
            for (JsonNode envelope : page.body().path("events")) {
                view.show(envelope);
                cursor = envelope.path("seq").asLong();
                if ("run_complete".equals(envelope.path("type").asText())) {
                    return "success".equals(envelope.path("payload").path("status").asText()) ? Cli.OK : Cli.FAILED;
                }
            }
            if (page.body().path("next").isNull()) {
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClient.ConnectionException("interrupted");
        }
    }
}
