package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /runs/{runId}/state?at=SEQ} (docs/api.md, "A run at an earlier seq"): at every seq
 * of real runs it answers, at the last seq it equals the stored run field for field (nothing
 * legitimately differs for a run that has ended: the facts of its creation and its retries are
 * read from the store by both), and at chosen seqs it shows the run as it was then. On SQLite
 * and on PostgreSQL, whose projections the fold must agree with alike.
 */
@Timeout(120)
class RunStateTest {
    private static final String SEQUENTIAL = """
            id: sequential
            name: One step after another
            inputs:
              who: {type: string, default: world}
            steps:
              - {id: hello, type: log, message: "hello ${inputs.who}"}
              - {id: remember, type: set, vars: {greeted: "${inputs.who}", count: 1}}
              - {id: change, name: Change it, type: set, vars: {count: 2, greeted: null}}
              - {id: stop, type: fail, message: "gave up on ${inputs.who}"}
              - {id: never, type: log, message: unreachable}
            """;

    private static final String GRAPH = """
            id: graph
            steps:
              - {id: build, type: set, vars: {version: "1.2"}}
              - {id: left, needs: [build], type: log, message: "left of ${vars.version}"}
              - {id: right, needs: [build], type: sleep, duration: 50ms}
              - {id: flaky, needs: [build], type: fail, message: flaky, retry: {attempts: 2, delay: 10ms}, continueOnError: true}
              - {id: unwanted, needs: [build], when: false, type: log, message: never}
              - {id: join, needs: [left, right, flaky], type: set, vars: {done: true}}
            """;

    private static final String APPROVAL = """
            id: deploy
            steps:
              - {id: build, type: set, vars: {artifact: "app-1.2"}}
              - {id: gate, type: approval, message: "Ship ${vars.artifact}?"}
              - {id: ship, type: log, message: "shipping"}
            """;

    @Test
    void onSqlite(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            everyStateIsTheFoldOfItsLog(server);
        }
    }

    @Test
    void onPostgresql(@TempDir Path data) {
        try (Postgres postgres = Postgres.schema();
             TestServer server = TestServer.start(data, config -> config.withDb(postgres.url()))) {
            everyStateIsTheFoldOfItsLog(server);
        }
    }

    private void everyStateIsTheFoldOfItsLog(TestServer server) {
        server.apply(SEQUENTIAL);
        server.apply(GRAPH);
        server.apply(APPROVAL);

        String sequential = server.execute("sequential", "{\"who\": \"ada\"}");
        server.awaitEnd(sequential);
        String graph = server.execute("graph", null);
        server.awaitEnd(graph);
        String approval = server.execute("deploy", null);
        Await.until("run " + approval + " waits", Duration.ofSeconds(20),
                () -> server.run(approval).path("status").asText().equals("waiting") ? true : null);
        TestServer.Response approved = server.post("/api/v2/workflows/runs/" + approval + "/steps/gate/approve", "{}");
        assertThat(approved.status()).as(approved.text()).isEqualTo(202);
        server.awaitEnd(approval);
        TestServer.Response retried = server.post("/api/v2/workflows/runs/" + sequential + "/retry", "{\"from\": \"failed\"}");
        assertThat(retried.status()).as(retried.text()).isEqualTo(202);
        String retry = retried.body().path("runId").asText();
        server.awaitEnd(retry);

        for (String runId : List.of(sequential, graph, approval, retry)) {
            everySeqAnswersAndTheLastIsTheStoredRun(server, runId);
        }
        sequentialStatesAtChosenSeqs(server, sequential);
        graphStatesAtChosenSeqs(server, graph);
        approvalStatesAtChosenSeqs(server, approval);
        badRequestsAreRefusedNamingWhatIsWrong(server, sequential);
    }

    private static void everySeqAnswersAndTheLastIsTheStoredRun(TestServer server, String runId) {
        JsonNode stored = server.run(runId);
        long lastSeq = stored.path("lastSeq").asLong();
        assertThat(server.events(runId)).hasSize((int) lastSeq);
        for (long seq = 1; seq <= lastSeq; seq++) {
            JsonNode state = state(server, runId, seq);
            assertThat(state.path("lastSeq").asLong()).isEqualTo(seq);
            assertThat(state.path("steps")).extracting(step -> step.path("stepId").asText())
                    .as("steps in the stored order at seq %d", seq)
                    .containsExactlyElementsOf(stored.path("steps").findValuesAsText("stepId"));
        }
        assertThat(state(server, runId, lastSeq)).as("run %s at its last seq", runId).isEqualTo(stored);
    }

    private static void sequentialStatesAtChosenSeqs(TestServer server, String runId) {
        List<JsonNode> events = server.events(runId);
        JsonNode first = state(server, runId, 1);
        assertThat(first.path("status").asText()).isEqualTo("running");
        assertThat(first.path("startedAt").isNull()).isFalse();
        assertThat(first.path("finishedAt").isNull()).isTrue();
        assertThat(first.path("steps").findValuesAsText("status")).containsOnly("pending");
        assertThat(first.path("variables")).isEmpty();
        assertThat(first.path("workflowName").asText()).isEqualTo("One step after another");
        assertThat(first.path("inputs").path("who").asText()).isEqualTo("ada");

        long countChanged = seqOf(events, "variable_change", "count", "update");
        JsonNode before = state(server, runId, countChanged - 1);
        JsonNode after = state(server, runId, countChanged);
        assertThat(before.path("variables").path("count").asInt()).isEqualTo(1);
        assertThat(after.path("variables").path("count").asInt()).isEqualTo(2);
        assertThat(stepOf(after, "change").path("status").asText()).isEqualTo("running");
        assertThat(stepOf(after, "change").path("stepName").asText()).isEqualTo("Change it");
        assertThat(stepOf(after, "remember").path("status").asText()).isEqualTo("success");

        long deleted = seqOf(events, "variable_change", "greeted", "delete");
        assertThat(state(server, runId, deleted - 1).path("variables").has("greeted")).isTrue();
        assertThat(state(server, runId, deleted).path("variables").has("greeted")).isFalse();

        long stopStarted = seqOf(events, "step_start", "stop", null);
        assertThat(stepOf(state(server, runId, stopStarted - 1), "stop").path("status").asText()).isEqualTo("pending");
        JsonNode stopping = state(server, runId, stopStarted);
        assertThat(stepOf(stopping, "stop").path("status").asText()).isEqualTo("running");
        assertThat(stepOf(stopping, "stop").path("attempt").asInt()).isEqualTo(1);
        assertThat(stepOf(stopping, "stop").path("startedAt").isNull()).isFalse();
        JsonNode stopped = state(server, runId, stopStarted + 1);
        assertThat(stepOf(stopped, "stop").path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(stopped, "stop").path("error").asText()).contains("gave up on ada");
        assertThat(stopped.path("status").asText()).as("the run ends only with run_complete").isEqualTo("running");
        assertThat(stepOf(stopped, "never").path("status").asText()).isEqualTo("pending");
    }

    private static void graphStatesAtChosenSeqs(TestServer server, String runId) {
        List<JsonNode> events = server.events(runId);
        long flakyFirst = seqOf(events, "step_start", "flaky", null);
        JsonNode firstTry = state(server, runId, flakyFirst);
        assertThat(stepOf(firstTry, "flaky").path("attempt").asInt()).isEqualTo(1);
        long flakyEnd = seqOf(events, "step_complete", "flaky", null);
        JsonNode ended = state(server, runId, flakyEnd);
        assertThat(stepOf(ended, "flaky").path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(ended, "flaky").path("attempt").asInt()).isEqualTo(2);
        long skipped = seqOf(events, "step_complete", "unwanted", null);
        assertThat(stepOf(state(server, runId, skipped), "unwanted").path("status").asText()).isEqualTo("skipped");
        assertThat(stepOf(state(server, runId, skipped), "unwanted").path("startedAt").isNull()).isTrue();
        assertThat(stepOf(state(server, runId, 1), "join").path("needs")).hasSize(3);
    }

    private static void approvalStatesAtChosenSeqs(TestServer server, String runId) {
        List<JsonNode> events = server.events(runId);
        long waits = seqOf(events, "step_waiting", "gate", null);
        JsonNode waiting = state(server, runId, waits);
        assertThat(waiting.path("status").asText()).isEqualTo("waiting");
        assertThat(stepOf(waiting, "gate").path("status").asText()).isEqualTo("waiting");
        assertThat(state(server, runId, waits - 1).path("status").asText()).isEqualTo("running");
        long decided = seqOf(events, "step_complete", "gate", null);
        JsonNode approved = state(server, runId, decided);
        assertThat(approved.path("status").asText()).isEqualTo("running");
        assertThat(stepOf(approved, "gate").path("status").asText()).isEqualTo("success");
        assertThat(stepOf(approved, "gate").path("outputs").path("approved").asBoolean()).isTrue();
    }

    private static void badRequestsAreRefusedNamingWhatIsWrong(TestServer server, String runId) {
        long lastSeq = server.run(runId).path("lastSeq").asLong();
        for (String at : List.of("", "?at=", "?at=abc", "?at=0", "?at=-3", "?at=1.5", "?at=" + (lastSeq + 1), "?at=1&at=2")) {
            TestServer.Response response = server.get("/api/v2/workflows/runs/" + runId + "/state" + at);
            assertThat(response.status()).as(at + ": " + response.text()).isEqualTo(400);
            assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_parameter");
            assertThat(response.body().path("error").path("details").path("parameter").asText()).isEqualTo("at");
            assertThat(response.body().path("error").path("message").asText()).startsWith("at: ");
        }
        assertThat(server.get("/api/v2/workflows/runs/" + runId + "/state?at=" + (lastSeq + 1)).body()
                .path("error").path("message").asText()).contains("up to seq " + lastSeq);
        TestServer.Response unknown = server.get("/api/v2/workflows/runs/" + UUID.randomUUID() + "/state?at=1");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().path("error").path("code").asText()).isEqualTo("run_not_found");
        TestServer.Response notAnId = server.get("/api/v2/workflows/runs/nope/state?at=1");
        assertThat(notAnId.status()).isEqualTo(400);
        assertThat(notAnId.body().path("error").path("code").asText()).isEqualTo("invalid_run_id");
    }

    private static JsonNode state(TestServer server, String runId, long seq) {
        TestServer.Response response = server.get("/api/v2/workflows/runs/" + runId + "/state?at=" + seq);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.body();
    }

    /** The seq of the first event of that type about that step (or variable), with that change type if given. */
    private static long seqOf(List<JsonNode> events, String type, String subject, String changeType) {
        List<String> seen = new ArrayList<>();
        for (JsonNode event : events) {
            JsonNode payload = event.path("payload");
            seen.add(event.path("type").asText());
            boolean about = payload.path("stepId").asText().equals(subject) || payload.path("varName").asText().equals(subject);
            boolean change = changeType == null || payload.path("changeType").asText().equals(changeType);
            if (event.path("type").asText().equals(type) && about && change) {
                return event.path("seq").asLong();
            }
        }
        throw new AssertionError("no " + type + " of " + subject + " in " + seen);
    }

    static JsonNode stepOf(JsonNode run, String stepId) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("stepId").asText().equals(stepId)) {
                return step;
            }
        }
        throw new AssertionError("no step " + stepId + " in " + run);
    }
}
