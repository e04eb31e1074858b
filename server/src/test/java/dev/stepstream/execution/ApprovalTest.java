package dev.stepstream.execution;

import static dev.stepstream.execution.GraphTest.assertGapless;
import static dev.stepstream.execution.GraphTest.stepOf;
import static dev.stepstream.testing.TestServer.payloads;
import static dev.stepstream.testing.TestServer.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.StepsFromEvents;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approval steps on one node (docs/workflows.md, "Approvals"): a run waits for a person's
 * decision without a thread, through restarts, and goes on when it comes; or fails when it is
 * a rejection or comes too late.
 */
@Timeout(90)
class ApprovalTest {

    private static final String DEPLOY = """
            id: deploy
            inputs:
              env: {type: string, default: prod}
            steps:
              - {id: build, type: set, vars: {artifact: "app-1.2"}}
              - id: gate
                type: approval
                message: "Ship ${vars.artifact} to ${inputs.env}?"
              - {id: ship, type: log, message: "shipping, approved by ${steps.gate.outputs.by}"}
            """;

    private static JsonNode awaitWaiting(TestServer server, String runId) {
        return Await.until("run " + runId + " waits", Duration.ofSeconds(20), () -> {
            JsonNode run = server.run(runId);
            return run.path("status").asText().equals("waiting") ? run : null;
        });
    }

    private static String approvePath(String runId, String stepId, String decision) {
        return "/api/v2/workflows/runs/" + runId + "/steps/" + stepId + "/" + decision;
    }

    @Test
    void aRunWaitsForApprovalThenGoesOnWithTheDecisionInItsLog(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            String runId = server.execute("deploy", "{\"env\": \"staging\"}");
            JsonNode waiting = awaitWaiting(server, runId);

            assertThat(stepOf(waiting, "gate").path("status").asText()).isEqualTo("waiting");
            assertThat(stepOf(waiting, "ship").path("status").asText()).isEqualTo("pending");
            assertThat(payloads(server.events(runId), "step_waiting", p -> p))
                    .singleElement().satisfies(p -> {
                        assertThat(p.path("stepId").asText()).isEqualTo("gate");
                        assertThat(p.path("message").asText()).isEqualTo("Ship app-1.2 to staging?");
                    });
            assertThat(server.get("/metrics").text()).as("a waiting run holds no slot")
                    .containsPattern("(?m)^stepstream_runs_active\\{[^}]*state=\"running\"[^}]*\\} 0\\.0$");

            TestServer.Response approved = server.post(approvePath(runId, "gate", "approve"), "{\"comment\": \"go\"}");
            assertThat(approved.status()).as(approved.text()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            List<JsonNode> events = server.awaitHistory(runId);

            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertGapless(events);
            JsonNode gate = payloads(events, "step_complete", p -> p).stream()
                    .filter(p -> p.path("stepId").asText().equals("gate")).findFirst().orElseThrow();
            assertThat(gate.path("status").asText()).isEqualTo("success");
            assertThat(gate.path("decision").path("approved").asBoolean()).isTrue();
            assertThat(gate.path("decision").path("by").asText()).isEqualTo("anonymous");
            assertThat(gate.path("decision").path("comment").asText()).isEqualTo("go");
            assertThat(payloads(events, "step_complete", p -> p)).as("API.md: step_complete carries outputs, {} for none")
                    .allSatisfy(p -> assertThat(p.path("outputs").isObject()).as("%s", p).isTrue());
            JsonNode runComplete = events.getLast().path("payload");
            assertThat(runComplete.has("error") && runComplete.path("error").isNull())
                    .as("API.md's run_complete {status, duration, error}, error null for a success: %s", runComplete).isTrue();
            assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("shipping, approved by anonymous");
            assertThat(types(events)).as("taking a decision is no resume").doesNotContain("run_resumed");

            TestServer.Response again = server.post(approvePath(runId, "gate", "approve"), "");
            assertThat(again.status()).as(again.text()).isEqualTo(409);
            assertThat(again.body().path("error").path("code").asText()).isEqualTo("step_not_waiting");
            assertThat(again.text()).contains("gate", "success");
        }
    }

    @Test
    void aRejectionFailsTheStepAndTheRun(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            String runId = server.execute("deploy", null);
            awaitWaiting(server, runId);

            TestServer.Response rejected = server.post(approvePath(runId, "gate", "reject"), "{\"comment\": \"not on a Friday\"}");
            assertThat(rejected.status()).as(rejected.text()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);

            assertThat(run.path("status").asText()).isEqualTo("failed");
            assertThat(run.path("error").asText()).isEqualTo("step \"gate\" failed: rejected by anonymous: not on a Friday");
            assertThat(stepOf(run, "gate").path("status").asText()).isEqualTo("failed");
            assertThat(stepOf(run, "ship").path("status").asText()).isEqualTo("pending");
            assertThat(server.post(approvePath(runId, "gate", "approve"), "").status()).isEqualTo(409);
        }
    }

    @Test
    void withoutADecisionInTimeTheStepFails(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply("""
                    id: hurry
                    steps:
                      - {id: gate, type: approval, message: "quick?", timeout: 500ms}
                      - {id: after, type: log, message: never}
                    """);
            String runId = server.execute("hurry", null);
            JsonNode run = server.awaitEnd(runId);

            assertThat(run.path("status").asText()).isEqualTo("failed");
            assertThat(stepOf(run, "gate").path("error").asText()).isEqualTo("no decision within 500ms");
            assertThat(stepOf(run, "gate").path("duration").asLong()).isGreaterThanOrEqualTo(500);
            assertThat(stepOf(run, "after").path("status").asText()).isEqualTo("pending");
        }
    }

    @Test
    void aWaitingRunOutlivesARestartAndGoesOnWhenApprovedAfterIt(@TempDir Path data) {
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            runId = server.execute("deploy", null);
            awaitWaiting(server, runId);
        }
        try (TestServer server = TestServer.start(data)) {
            JsonNode waiting = server.run(runId);
            assertThat(waiting.path("status").asText()).as("not interrupted by the restart").isEqualTo("waiting");
            assertThat(server.post(approvePath(runId, "gate", "approve"), "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);

            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            List<JsonNode> events = server.awaitHistory(runId);
            assertGapless(events);
            assertThat(types(events)).containsOnlyOnce("step_waiting").doesNotContain("run_resumed");
            JsonNode decision = payloads(events, "step_complete", p -> p).stream()
                    .filter(p -> p.path("stepId").asText().equals("gate")).findFirst().orElseThrow().path("decision");
            assertThat(decision.has("comment")).as("API.md's decision {approved, by, comment}: %s", decision).isTrue();
            assertThat(decision.path("comment").isNull()).as("none was given").isTrue();
        }
    }

    @Test
    void inAGraphOtherBranchesRunWhileAStepWaits(@TempDir Path data, @TempDir Path work) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply("""
                    id: release
                    steps:
                      - {id: gate, type: approval, message: "release?"}
                      - {id: tests, type: script, run: "while [ ! -f '%1$s/open' ]; do sleep 0.02; done; echo tested"}
                      - {id: ship, needs: [gate, tests], type: log, message: shipped}
                    """.formatted(work));
            String runId = server.execute("release", null);
            Await.until("the gate waits while the tests run", Duration.ofSeconds(20), () -> {
                JsonNode run = server.run(runId);
                return stepOf(run, "gate").path("status").asText().equals("waiting")
                        && stepOf(run, "tests").path("status").asText().equals("running") ? run : null;
            });
            assertThat(server.run(runId).path("status").asText()).as("a step still runs").isEqualTo("running");

            Files.createFile(work.resolve("open"));
            awaitWaiting(server, runId);
            assertThat(stepOf(server.run(runId), "ship").path("status").asText()).isEqualTo("pending");

            assertThat(server.post(approvePath(runId, "gate", "approve"), "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertThat(stepOf(run, "ship").path("status").asText()).isEqualTo("success");
        }
    }

    /** A graph whose gate waits beside a script that runs until {@code work/open} exists. */
    private static String busy(Path work) {
        return """
                id: busy
                steps:
                  - {id: gate, type: approval, message: "go?"}
                  - {id: slow, type: script, run: "while [ ! -f '%1$s/open' ]; do sleep 0.02; done"}
                  - {id: after-gate, needs: [gate], type: log, message: through}
                """.formatted(work);
    }

    @Test
    void aDecisionTakenWhileOtherStepsRunIsTakenInAtOnce(@TempDir Path data, @TempDir Path work) throws Exception {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(busy(work));
            String runId = server.execute("busy", null);
            Await.until("the gate waits", Duration.ofSeconds(20),
                    () -> stepOf(server.run(runId), "gate").path("status").asText().equals("waiting") ? true : null);

            assertThat(server.post(approvePath(runId, "gate", "approve"), "").status()).isEqualTo(202);
            Await.until("the step after the gate ran while the slow one still runs", Duration.ofSeconds(10), () -> {
                JsonNode run = server.run(runId);
                return stepOf(run, "after-gate").path("status").asText().equals("success")
                        && stepOf(run, "slow").path("status").asText().equals("running") ? true : null;
            });
            Files.createFile(work.resolve("open"));
            assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        }
    }

    @Test
    void aGraphCancelledWhileAStepWaitsBesideARunningOneEndsBothStepsInItsLog(@TempDir Path data, @TempDir Path work) {
        try (TestServer server = TestServer.start(data, config -> config.withAllowScripts(true))) {
            server.apply(busy(work));
            String runId = server.execute("busy", null);
            Await.until("the gate waits while the slow step runs", Duration.ofSeconds(20), () -> {
                JsonNode run = server.run(runId);
                return stepOf(run, "gate").path("status").asText().equals("waiting")
                        && stepOf(run, "slow").path("status").asText().equals("running") ? run : null;
            });

            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            List<JsonNode> events = server.awaitHistory(runId);

            assertThat(run.path("status").asText()).isEqualTo("cancelled");
            assertGapless(events);
            assertThat(payloads(events, "step_complete", p -> p.path("stepId").asText() + " " + p.path("status").asText()))
                    .as("the driver ends the waiting step as it ends the running one")
                    .containsExactlyInAnyOrder("gate cancelled", "slow cancelled");
            StepsFromEvents.assertAgreesWithDetail(run, events);
        }
    }

    @Test
    void aWaitingRunCanBeCancelledAndEndsItsWaitingStepInItsLogBeforeTheRunItself(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            String runId = server.execute("deploy", null);
            awaitWaiting(server, runId);

            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            JsonNode run = server.awaitEnd(runId);
            List<JsonNode> events = server.awaitHistory(runId);

            assertGapless(events);
            assertThat(types(events).subList(events.size() - 3, events.size()))
                    .containsExactly("step_waiting", "step_complete", "run_complete");
            JsonNode gateStart = events.stream().filter(e -> e.path("type").asText().equals("step_start")
                    && e.path("payload").path("stepId").asText().equals("gate")).findFirst().orElseThrow();
            JsonNode gateEnd = events.get(events.size() - 2);
            assertThat(gateEnd.path("payload").path("stepId").asText()).isEqualTo("gate");
            assertThat(gateEnd.path("payload").path("stepName").asText()).isEqualTo("gate");
            assertThat(gateEnd.path("payload").path("status").asText()).isEqualTo("cancelled");
            assertThat(gateEnd.path("payload").path("attempt").asInt()).isEqualTo(1);
            assertThat(gateEnd.path("payload").has("error")).as("as the driver's: error only when failed").isFalse();
            assertThat(gateEnd.path("payload").path("duration").asLong()).as("from the step's start")
                    .isEqualTo(millisBetween(gateStart, gateEnd));

            JsonNode complete = events.getLast().path("payload");
            assertThat(complete.path("status").asText()).isEqualTo("cancelled");
            assertThat(complete.path("error").asText()).as("it had started").isEqualTo("cancelled");
            assertThat(complete.path("duration").asLong()).as("from the run's start")
                    .isPositive().isEqualTo(millisBetween(events.getFirst(), events.getLast()));
            assertThat(run.path("duration").asLong()).isEqualTo(complete.path("duration").asLong());
            assertThat(run.path("error").asText()).isEqualTo("cancelled");
            assertThat(run.path("status").asText()).isEqualTo("cancelled");
            assertThat(stepOf(run, "gate").path("status").asText()).isEqualTo("cancelled");
            StepsFromEvents.assertAgreesWithDetail(run, events);
            assertThat(server.post(approvePath(runId, "gate", "approve"), "").status()).as("nothing waits now").isEqualTo(409);
        }
    }

    @Test
    void dashboardsOfItsWorkflowSeeAWaitingRunCancelledAfterARestartEndItsStepThenItself(@TempDir Path data) {
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            runId = server.execute("deploy", null);
            awaitWaiting(server, runId);
        }
        try (TestServer server = TestServer.start(data);
             WsClient dashboard = WsClient.connect(HttpClient.newHttpClient(), server.wsUrl("/api/v2/stream?workflowId=deploy"))) {
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            dashboard.awaitType("run_complete", Duration.ofSeconds(10));

            assertThat(dashboard.messages()).extracting(WsClient.Message::json)
                    .filteredOn(m -> m.path("runId").asText().equals(runId))
                    .extracting(m -> m.path("type").asText() + " " + m.path("payload").path("stepId").asText()
                            + m.path("payload").path("status").asText())
                    .containsExactly("run_progress gatecancelled", "run_complete cancelled");
        }
    }

    @Test
    void aCancelledWaitingRunRetriedFromItsFailuresReusesWhatEndedAndWaitsAgain(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            String runId = server.execute("deploy", null);
            awaitWaiting(server, runId);
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            server.awaitEnd(runId);

            TestServer.Response retried = server.post("/api/v2/workflows/runs/" + runId + "/retry", "");
            assertThat(retried.status()).as(retried.text()).isEqualTo(202);
            String retryId = retried.body().path("runId").asText();
            JsonNode waiting = awaitWaiting(server, retryId);

            assertThat(stepOf(waiting, "gate").path("attempt").asInt()).isEqualTo(1);
            assertThat(payloads(server.events(retryId), "step_complete", p -> p.path("stepId").asText() + " "
                    + p.path("status").asText() + " " + p.path("reused").asBoolean()))
                    .as("the build reused, the cancelled gate asked again").containsExactly("build success true");
            assertThat(waiting.path("variables").path("artifact").asText()).isEqualTo("app-1.2");
        }
    }

    private static long millisBetween(JsonNode from, JsonNode to) {
        return Duration.between(Instant.parse(from.path("time").asText()), Instant.parse(to.path("time").asText())).toMillis();
    }

    @Test
    void badDecisionsAreRefusedByName(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            server.apply(DEPLOY);
            String runId = server.execute("deploy", null);
            awaitWaiting(server, runId);

            TestServer.Response noStep = server.post(approvePath(runId, "nope", "approve"), "");
            assertThat(noStep.status()).isEqualTo(404);
            assertThat(noStep.body().path("error").path("code").asText()).isEqualTo("step_not_found");
            TestServer.Response notWaiting = server.post(approvePath(runId, "build", "approve"), "");
            assertThat(notWaiting.status()).isEqualTo(409);
            assertThat(notWaiting.text()).contains("step_not_waiting", "it is success");
            TestServer.Response noRun = server.post(approvePath("6f1c1f5e-8c7e-4c55-9d1e-3c0e8b7a9b10", "gate", "approve"), "");
            assertThat(noRun.status()).isEqualTo(404);
            assertThat(noRun.body().path("error").path("code").asText()).isEqualTo("run_not_found");
            TestServer.Response badComment = server.post(approvePath(runId, "gate", "approve"), "{\"comment\": 3}");
            assertThat(badComment.status()).isEqualTo(400);
            assertThat(badComment.text()).contains("comment: expected a string");
            TestServer.Response unknown = server.post(approvePath(runId, "gate", "reject"), "{\"reason\": \"x\"}");
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.text()).contains("reason: unknown field");

            assertThat(server.run(runId).path("status").asText()).as("nothing decided by the refusals").isEqualTo("waiting");
        }
    }

    @Test
    void approvalStepsAreValidated(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            TestServer.Response response = server.putYaml("/api/v2/workflows/odd", """
                    id: odd
                    steps:
                      - {id: gate, type: approval, retry: {attempts: 2}}
                    """);
            assertThat(response.status()).isEqualTo(422);
            assertThat(response.text()).contains("steps[0].message", "required",
                    "steps[0].retry", "an approval step is not retried");
        }
    }
}
