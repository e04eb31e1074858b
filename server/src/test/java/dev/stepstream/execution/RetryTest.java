package dev.stepstream.execution;

import static dev.stepstream.execution.GraphTest.assertGapless;
import static dev.stepstream.execution.GraphTest.stepOf;
import static dev.stepstream.testing.TestServer.payloads;
import static dev.stepstream.testing.TestServer.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /runs/{runId}/retry} (docs/workflows.md, "Retrying a run"): a new run of an ended
 * run's workflow version and inputs, which takes over the results of the steps that need not
 * run again and runs the rest. Scripts count what really ran in a file.
 */
@Timeout(90)
class RetryTest {

    private static String flaky(Path work) {
        return """
                id: flaky
                inputs:
                  target: {type: string, default: staging}
                steps:
                  - {id: prepare, type: script, run: "echo prepare >> '%1$s/done'; echo version=7 >> \\"$STEPSTREAM_OUTPUT\\""}
                  - {id: remember, type: set, vars: {phase: one, version: "${steps.prepare.outputs.version}"}}
                  - {id: deploy, type: script, run: "echo deploy >> '%1$s/done'; [ -f '%1$s/fixed' ]"}
                  - {id: after, type: log, message: "deployed ${vars.version} to ${inputs.target} in phase ${vars.phase}"}
                """.formatted(work);
    }

    private static TestServer.Response retry(TestServer server, String runId, String body) {
        return server.post("/api/v2/workflows/runs/" + runId + "/retry", body);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aRetryFromTheFailedStepReusesWhatSucceededAndRunsTheRest(@TempDir Path data, @TempDir Path work) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(flaky(work));
            String failedId = server.execute("flaky", "{\"target\": \"prod\"}");
            assertThat(server.awaitEnd(failedId).path("status").asText()).isEqualTo("failed");
            Files.createFile(work.resolve("fixed"));

            TestServer.Response response = retry(server, failedId, "");
            assertThat(response.status()).as(response.text()).isEqualTo(202);
            String retryId = response.body().path("runId").asText();
            assertThat(response.body().path("retryOf").path("runId").asText()).isEqualTo(failedId);
            JsonNode run = server.awaitEnd(retryId);
            List<JsonNode> events = server.awaitHistory(retryId);

            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertGapless(events);
            JsonNode start = payloads(events, "run_start", p -> p).getFirst();
            assertThat(start.path("retryOf").path("runId").asText()).isEqualTo(failedId);
            assertThat(start.path("retryOf").path("from").asText()).isEqualTo("failed");
            assertThat(start.path("inputs").path("target").asText()).as("the same inputs").isEqualTo("prod");
            assertThat(payloads(events, "step_start", p -> p.path("stepId").asText())).containsExactly("deploy", "after");
            List<JsonNode> reused = payloads(events, "step_complete", p -> p).stream()
                    .filter(p -> p.path("reused").asBoolean()).toList();
            assertThat(reused).extracting(p -> p.path("stepId").asText()).containsExactly("prepare", "remember");
            assertThat(reused.getFirst().path("outputs").path("version").asText()).isEqualTo("7");
            assertThat(payloads(events, "variable_change", p -> p.path("varName").asText()))
                    .as("the variables a reused step set are set again").containsExactly("phase", "version");
            assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("deployed 7 to prod in phase one");
            assertThat(run.path("variables").path("version").asText()).isEqualTo("7");
            assertThat(lines(work.resolve("done"))).as("prepare ran once, deploy twice")
                    .containsExactly("prepare", "deploy", "deploy");

            assertThat(run.path("retryOf").path("runId").asText()).isEqualTo(failedId);
            assertThat(server.run(failedId).path("retries")).extracting(JsonNode::asText).containsExactly(retryId);
        }
    }

    @Test
    void aRetryFromStartRunsEveryStepAgain(@TempDir Path data, @TempDir Path work) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(flaky(work));
            String failedId = server.execute("flaky", null);
            server.awaitEnd(failedId);
            Files.createFile(work.resolve("fixed"));

            String retryId = retry(server, failedId, "{\"from\": \"start\"}").body().path("runId").asText();
            JsonNode run = server.awaitEnd(retryId);

            assertThat(run.path("status").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(retryId), "step_complete", p -> p.path("reused").asBoolean())).containsOnly(false);
            assertThat(lines(work.resolve("done"))).containsExactly("prepare", "deploy", "prepare", "deploy");
        }
    }

    @Test
    void aRetryFromAStepInTheMiddleOfAGraphRunsItAndWhatNeedsItAndReusesTheRest(@TempDir Path data, @TempDir Path work) {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply("""
                    id: diamond
                    steps:
                      - {id: a, type: script, run: "echo a >> '%1$s/done'"}
                      - {id: b, needs: [a], type: script, run: "echo b >> '%1$s/done'"}
                      - {id: c, needs: [a], type: script, run: "echo c >> '%1$s/done'"}
                      - {id: d, needs: [b, c], type: script, run: "echo d >> '%1$s/done'"}
                    """.formatted(work));
            String firstId = server.execute("diamond", null);
            assertThat(server.awaitEnd(firstId).path("status").asText()).isEqualTo("success");

            TestServer.Response response = retry(server, firstId, "{\"from\": \"b\"}");
            assertThat(response.status()).as(response.text()).isEqualTo(202);
            String retryId = response.body().path("runId").asText();
            JsonNode run = server.awaitEnd(retryId);
            List<JsonNode> events = server.awaitHistory(retryId);

            assertThat(run.path("status").asText()).isEqualTo("success");
            assertThat(payloads(events, "step_complete", p -> p).stream().filter(p -> p.path("reused").asBoolean())
                    .map(p -> p.path("stepId").asText())).containsExactlyInAnyOrder("a", "c");
            assertThat(payloads(events, "step_start", p -> p.path("stepId").asText())).containsExactly("b", "d");
            assertThat(lines(work.resolve("done")).subList(4, lines(work.resolve("done")).size())).containsExactly("b", "d");
            assertThat(stepOf(run, "c").path("status").asText()).isEqualTo("success");
        }
    }

    @Test
    void onlyARunThatHasEndedIsRetriedAndFromMustNameAStep(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply("""
                    id: gated
                    steps:
                      - {id: gate, type: approval, message: "go?"}
                    """);
            String runId = server.execute("gated", null);
            Await.until("the run waits", Duration.ofSeconds(20),
                    () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);

            TestServer.Response going = retry(server, runId, "");
            assertThat(going.status()).isEqualTo(409);
            assertThat(going.body().path("error").path("code").asText()).isEqualTo("run_not_finished");
            assertThat(going.text()).contains("waiting");

            server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
            server.awaitEnd(runId);
            TestServer.Response badStep = retry(server, runId, "{\"from\": \"nope\"}");
            assertThat(badStep.status()).isEqualTo(400);
            assertThat(badStep.text()).contains("from: expected failed, start or a step id", "nope");
            assertThat(retry(server, runId, "{\"from\": 3}").status()).isEqualTo(400);
            assertThat(retry(server, runId, "{\"form\": \"start\"}").text()).contains("form: unknown field");
            TestServer.Response missing = retry(server, "6f1c1f5e-8c7e-4c55-9d1e-3c0e8b7a9b10", "");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(server.run(runId).path("retries")).as("no retry was made by the refusals").isEmpty();

            TestServer.Response again = retry(server, runId, "{\"from\": \"gate\"}");
            assertThat(again.status()).isEqualTo(202);
            String retryId = again.body().path("runId").asText();
            Await.until("the retry waits at its gate again", Duration.ofSeconds(20),
                    () -> server.run(retryId).path("status").asText().equals("waiting") ? true : null);
            assertThat(types(server.events(retryId))).contains("step_waiting");
        }
    }

    /**
     * A set step whose values are over the 16 KiB an event carries (one just over, one twice
     * over inside an object), a step that reads them, then a failure to retry past.
     */
    static String largeValues(String onInterrupt, String between) {
        return """
                id: large
                onInterrupt: %s
                steps:
                  - {id: a, type: set, vars: {s: "%s", obj: {k: "%s"}}}
                %s  - {id: l, type: log, message: "size=${size(vars.s)} k=${size(vars.obj.k)}"}
                  - {id: end, type: fail, message: "stop here"}
                """.formatted(onInterrupt, "a".repeat(16_384), "b".repeat(32_768), between);
    }

    @Test
    void aRetryThatReusesAStepSeesTheVariablesItSetWholeThoughTheirEventsCarryAPreview(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(largeValues("fail", ""));
            String firstId = server.execute("large", null);
            JsonNode first = server.awaitEnd(firstId);
            assertThat(stepOf(first, "l").path("status").asText()).as(first.path("error").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(firstId), "step_log", p -> p.path("message").asText()))
                    .contains("size=16384 k=32768");

            TestServer.Response response = retry(server, firstId, "{\"from\": \"l\"}");
            assertThat(response.status()).as(response.text()).isEqualTo(202);
            String retryId = response.body().path("runId").asText();
            JsonNode run = server.awaitEnd(retryId);
            List<JsonNode> events = server.awaitHistory(retryId);

            assertThat(payloads(events, "step_complete", p -> p).stream().filter(p -> p.path("reused").asBoolean())
                    .map(p -> p.path("stepId").asText())).containsExactly("a");
            assertThat(stepOf(run, "l").path("status").asText()).as(run.path("error").asText()).isEqualTo("success");
            assertThat(payloads(events, "step_log", p -> p.path("message").asText()))
                    .as("the retried step reads what the original read").contains("size=16384 k=32768");
            assertThat(run.path("error").asText()).isEqualTo(first.path("error").asText()).contains("stop here");
            for (JsonNode detail : List.of(first, run)) {
                assertThat(detail.path("variables").path("s").asText()).as("the run detail has the whole value").hasSize(16_384);
                assertThat(detail.path("variables").path("obj").path("k").asText()).hasSize(32_768);
            }
            assertThat(payloads(events, "variable_change", p -> p))
                    .as("the retry's events carry the preview and flag the original's carry")
                    .isEqualTo(payloads(server.awaitHistory(firstId), "variable_change", p -> p));
            assertThat(payloads(events, "variable_change", p -> p)).allSatisfy(p -> {
                assertThat(p.path("truncated").asBoolean()).isTrue();
                assertThat(p.path("newValue").asText()).hasSizeLessThan(1_100);
            });
        }
    }
}
