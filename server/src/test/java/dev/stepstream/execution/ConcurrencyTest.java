package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrency groups on one node (SQLite), with one slot for running runs: a run that sleeps
 * holds both the node's slot and its key's, so what happens past a key's limit happens on a node
 * that has no free slot. Several nodes: ClusterTest.
 */
@Timeout(90)
class ConcurrencyTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(1));
        for (String onLimit : new String[] {"skip", "cancel-running"}) {
            server.apply("""
                    id: %s-deploy
                    inputs:
                      pause: {type: string, default: "0s"}
                    concurrency: {limit: 1, onLimit: %s}
                    steps:
                      - {id: wait, type: sleep, duration: "${inputs.pause}"}
                      - {id: done, type: log, message: deployed}
                    """.formatted(onLimit, onLimit));
        }
        server.apply("""
                id: env-deploy
                inputs:
                  env: {type: string, required: true}
                concurrency:
                  key: "deploy-${inputs.env}"
                  limit: 1
                steps:
                  - {id: gate, type: approval, message: "ship to ${inputs.env}?"}
                  - {id: ship, type: log, message: "shipped to ${inputs.env}"}
                """);
        server.apply("""
                id: bad-key
                inputs:
                  target: {type: object}
                concurrency: {key: "${inputs.target.name}"}
                steps:
                  - {id: a, type: log, message: hi}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String status(String runId) {
        return server.run(runId).path("status").asText();
    }

    private static void awaitStatus(String runId, String status) {
        Await.until("run " + runId + " is " + status, Duration.ofSeconds(10), () -> status.equals(status(runId)) ? true : null);
    }

    private static Instant time(JsonNode run, String field) {
        return Instant.parse(run.path(field).asText());
    }

    @Test
    void pastTheLimitASkipRunEndsCancelledAtOnceWhileTheFirstRunsAndTakesNothing() {
        String first = server.execute("skip-deploy", "{\"pause\": \"60s\"}");
        awaitStatus(first, "running");

        String skipped = server.execute("skip-deploy", null);
        JsonNode run = server.awaitEnd(skipped, Duration.ofSeconds(5));

        assertThat(run.path("status").asText()).isEqualTo("cancelled");
        assertThat(run.path("error").asText()).isEqualTo("concurrency limit");
        assertThat(TestServer.types(server.events(skipped))).as("as a run cancelled before it started")
                .containsExactly("run_complete");
        assertThat(status(first)).isEqualTo("running");

        assertThat(server.post("/api/v2/workflows/runs/" + first + "/cancel", "").status()).isEqualTo(202);
        assertThat(server.awaitEnd(first).path("status").asText()).isEqualTo("cancelled");
        String next = server.execute("skip-deploy", null);
        assertThat(server.awaitEnd(next).path("status").asText()).as("the key's slot is free again").isEqualTo("success");
    }

    @Test
    void aCancelRunningRunCancelsTheRunningOneAndRunsOnceItHasEnded() {
        String first = server.execute("cancel-running-deploy", "{\"pause\": \"60s\"}");
        awaitStatus(first, "running");

        String second = server.execute("cancel-running-deploy", null);
        JsonNode cancelled = server.awaitEnd(first, Duration.ofSeconds(10));
        JsonNode succeeded = server.awaitEnd(second, Duration.ofSeconds(10));

        assertThat(cancelled.path("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.path("steps").get(0).path("status").asText()).isEqualTo("cancelled");
        assertThat(succeeded.path("status").asText()).isEqualTo("success");
        assertThat(time(succeeded, "startedAt")).as("never two running past the limit")
                .isAfterOrEqualTo(time(cancelled, "finishedAt"));
    }

    @Test
    void theKeyComesFromTheInputsTwoEnvironmentsDeployAtOnceAndOneEnvironmentsRunsQueue() {
        String prod = server.execute("env-deploy", "{\"env\": \"prod\"}");
        awaitStatus(prod, "waiting");
        String prodAgain = server.execute("env-deploy", "{\"env\": \"prod\"}");
        String staging = server.execute("env-deploy", "{\"env\": \"staging\"}");
        awaitStatus(staging, "waiting");
        // The claim that started staging read the store after prodAgain was queued, and left it there.
        assertThat(status(prodAgain)).isEqualTo("queued");
        assertThat(status(prod)).isEqualTo("waiting");

        approve(prod);
        JsonNode prodRun = server.awaitEnd(prod);
        awaitStatus(prodAgain, "waiting");
        approve(prodAgain);
        approve(staging);

        assertThat(server.awaitEnd(prodAgain).path("status").asText()).isEqualTo("success");
        assertThat(server.awaitEnd(staging).path("status").asText()).isEqualTo("success");
        assertThat(time(server.run(prodAgain), "startedAt")).isAfterOrEqualTo(time(prodRun, "finishedAt"));
    }

    private static void approve(String runId) {
        TestServer.Response approved = server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve", "");
        assertThat(approved.status()).as(approved.text()).isEqualTo(202);
    }

    @Test
    void aKeyTemplateThatFailsOnTheInputsIsRefusedWith422NamingIt() {
        TestServer.Response response = server.post("/api/v2/workflows/bad-key/execute", "{\"inputs\": {}}");

        assertThat(response.status()).as(response.text()).isEqualTo(422);
        assertThat(response.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("concurrency.key");
        assertThat(server.get("/api/v2/workflows/runs?workflowId=bad-key").body().path("runs")).as("no run").isEmpty();
    }
}
