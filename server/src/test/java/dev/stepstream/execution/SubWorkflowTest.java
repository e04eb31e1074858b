package dev.stepstream.execution;

import static dev.stepstream.execution.GraphTest.stepOf;
import static dev.stepstream.testing.TestServer.payloads;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code type: workflow} (docs/workflows.md, "Sub-workflows"), on a node with two run slots: a
 * parent waiting for its child gives its slot back, so that chains deeper than the slots run.
 */
@Timeout(90)
class SubWorkflowTest {
    private static final Pattern STARTED = Pattern.compile("started run ([0-9a-f-]{36}) of workflow \"([a-z0-9_-]+)\"");

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(2));
        server.apply("""
                id: e2e-suite
                inputs:
                  version: {type: string, required: true}
                steps:
                  - {id: test, type: log, message: "testing ${inputs.version}"}
                  - {id: remember, type: set, vars: {tested: "${inputs.version}", passed: 42}}
                """);
        server.apply("""
                id: breaks
                steps:
                  - {id: boom, type: fail, message: "suite broke"}
                """);
        server.apply("""
                id: sleeps
                steps:
                  - {id: nap, type: sleep, duration: 60s}
                """);
        server.apply("""
                id: recurse
                steps:
                  - {id: again, type: workflow, workflow: recurse}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aChildRunHasItsOwnIdAndStreamAndItsParentGoesOnWithItsOutputs() {
        server.apply("""
                id: release
                steps:
                  - {id: build, type: script, run: 'echo "version=1.4.2" >> "$STEPSTREAM_OUTPUT"'}
                  - id: e2e
                    needs: [build]
                    type: workflow
                    workflow: e2e-suite
                    inputs: {version: "${steps.build.outputs.version}"}
                  - {id: ship, needs: [e2e], type: log, message: "shipping after ${steps.e2e.outputs.variables.passed} passed"}
                """);
        String runId = server.execute("release", null);
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        String childId = childOf(events, "e2e-suite");
        JsonNode outputs = stepOf(run, "e2e").path("outputs");
        assertThat(outputs.path("runId").asText()).isEqualTo(childId);
        assertThat(outputs.path("status").asText()).isEqualTo("success");
        assertThat(outputs.path("variables").path("tested").asText()).isEqualTo("1.4.2");
        assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("shipping after 42 passed");

        JsonNode child = server.run(childId);
        assertThat(child.path("workflowId").asText()).isEqualTo("e2e-suite");
        assertThat(child.path("inputs").path("version").asText()).isEqualTo("1.4.2");
        JsonNode childStart = server.awaitHistory(childId).getFirst();
        assertThat(childStart.path("payload").path("parentRunId").asText()).isEqualTo(runId);
        assertThat(childStart.path("payload").path("parentStepId").asText()).isEqualTo("e2e");
        assertThat(server.awaitHistory(runId).getFirst().path("payload").has("parentRunId")).isFalse();
    }

    /**
     * A child's variable over 16 KiB reaches its parent as the preview its event carries, as
     * before its whole value was kept: one large variable does not push the step's whole
     * {@code variables} output past its 16 KiB cut, so the parent still reads the others.
     */
    @Test
    void aChildsLargeVariableReachesItsParentAsItsPreviewAndTheOthersAsTheyAre() {
        server.apply("""
                id: sets-large
                steps:
                  - {id: a, type: set, vars: {big: "%s", small: "kept"}}
                """.formatted("z".repeat(20_000)));
        server.apply("""
                id: calls-large
                steps:
                  - {id: call, type: workflow, workflow: sets-large}
                  - {id: read, type: log, message: "small=${steps.call.outputs.variables.small}"}
                """);
        JsonNode run = server.awaitEnd(server.execute("calls-large", null));

        assertThat(run.path("status").asText()).as(run.path("error").asText()).isEqualTo("success");
        JsonNode variables = stepOf(run, "call").path("outputs").path("variables");
        assertThat(variables.path("small").asText()).isEqualTo("kept");
        assertThat(variables.path("big").asText()).startsWith("\"zzz").endsWith("…").hasSizeLessThan(1_100);
        assertThat(server.run(stepOf(run, "call").path("outputs").path("runId").asText()).path("variables").path("big").asText())
                .as("the child's own detail has it whole").hasSize(20_000);
    }

    @Test
    void aFailedChildFailsItsStepAndTheRun() {
        server.apply("""
                id: calls-breaks
                steps:
                  - {id: call, type: workflow, workflow: breaks}
                """);
        JsonNode run = server.awaitEnd(server.execute("calls-breaks", null));

        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(run, "call").path("error").asText()).matches(
                "run [0-9a-f-]{36} of workflow \"breaks\" ended failed: step \"boom\" failed: suite broke");
        assertThat(stepOf(run, "call").path("outputs").path("status").asText()).isEqualTo("failed");
    }

    @Test
    void aStepForAWorkflowThatDoesNotExistOrInputsThatDoNotFitFails() {
        server.apply("""
                id: calls-nothing
                steps:
                  - {id: missing, type: workflow, workflow: no-such-flow, continueOnError: true}
                  - {id: misfit, type: workflow, workflow: e2e-suite, inputs: {versoin: "1"}}
                """);
        JsonNode run = server.awaitEnd(server.execute("calls-nothing", null));

        assertThat(stepOf(run, "missing").path("error").asText()).isEqualTo("no workflow \"no-such-flow\" exists");
        assertThat(stepOf(run, "misfit").path("error").asText())
                .startsWith("inputs for workflow \"e2e-suite\": 2 problems: ")
                .contains("inputs.version: required", "inputs.versoin: ") // each of them: the step's error is all there is
                .doesNotContain("…");
    }

    @Test
    void cancellingTheTopOfAChainCancelsEveryRunDownIt() {
        server.apply("""
                id: calls-sleeps
                steps:
                  - {id: call, type: workflow, workflow: sleeps}
                """);
        server.apply("""
                id: calls-calls
                steps:
                  - {id: down, type: workflow, workflow: calls-sleeps}
                """);
        String top = server.execute("calls-calls", null);
        String middle = awaitRunningChild(top, "calls-sleeps");
        String bottom = awaitRunningChild(middle, "sleeps");

        assertThat(server.post("/api/v2/workflows/runs/" + top + "/cancel", "").status()).isEqualTo(202);

        for (String runId : List.of(top, middle, bottom)) {
            assertThat(server.awaitEnd(runId, Duration.ofSeconds(10)).path("status").asText()).as(runId).isEqualTo("cancelled");
        }
        assertThat(stepOf(server.run(bottom), "nap").path("status").asText()).isEqualTo("cancelled");
    }

    /** The child run of {@code workflowId} that {@code parentId} started, once it runs. */
    private static String awaitRunningChild(String parentId, String workflowId) {
        return Await.until("a running child of " + parentId, Duration.ofSeconds(10), () -> {
            String id = childOf(server.events(parentId), workflowId);
            return id != null && server.run(id).path("status").asText().equals("running") ? id : null;
        });
    }

    @Test
    void runsNestAtMostEightDeepAndTheDeepestStepSaysSo() {
        String top = server.execute("recurse", null);
        JsonNode run = server.awaitEnd(top, Duration.ofSeconds(60));

        assertThat(run.path("status").asText()).isEqualTo("failed");
        List<String> chain = new ArrayList<>(List.of(top));
        while (true) {
            List<JsonNode> events = server.awaitHistory(chain.getLast());
            String child = childOf(events, "recurse");
            if (child == null) {
                break;
            }
            chain.add(child);
        }
        assertThat(chain).as("the first run and 8 nested ones").hasSize(9);
        JsonNode deepest = server.run(chain.getLast());
        assertThat(stepOf(deepest, "again").path("error").asText())
                .isEqualTo("runs nest at most 8 deep, and this run is at depth 8: it starts no run of \"recurse\"");
        for (String id : chain) {
            assertThat(server.run(id).path("status").asText()).as(id).isEqualTo("failed");
        }
    }

    @Test
    void aChildThatCouldNeverStartForItsKeyFailsItsStepAtOnceAndIsNotQueued() {
        server.apply("""
                id: notify-env
                inputs: {env: {type: string, required: true}}
                concurrency: {key: "env-${inputs.env}", limit: 1, onLimit: cancel-running}
                steps:
                  - {id: say, type: log, message: "notified ${inputs.env}"}
                """);
        server.apply("""
                id: deploy-env
                inputs: {env: {type: string, required: true}}
                concurrency: {key: "env-${inputs.env}", limit: 1}
                steps:
                  - {id: notify, type: workflow, workflow: notify-env, inputs: {env: "${inputs.env}"}}
                """);
        server.apply("""
                id: notify-queued
                concurrency: {key: env-prod, limit: 1}
                steps:
                  - {id: say, type: log, message: "notified"}
                """);
        server.apply("""
                id: plan-env
                steps:
                  - {id: notify, type: workflow, workflow: notify-queued}
                """);
        server.apply("""
                id: release-env
                concurrency: {key: env-prod, limit: 1}
                steps:
                  - {id: plan, type: workflow, workflow: plan-env}
                """);

        // cancel-running: the child would have its own parent cancelled, the oldest run of the key.
        String deploy = server.execute("deploy-env", "{\"env\": \"prod\"}");
        JsonNode run = server.awaitEnd(deploy, Duration.ofSeconds(10));
        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(run, "notify").path("error").asText()).isEqualTo("a run of \"notify-env\" would never start: every slot"
                + " of its concurrency key \"env-prod\" (limit 1) is held by this run or the runs above it, which wait for this"
                + " step to end; give the child workflow another concurrency key");
        assertThat(childOf(server.awaitHistory(deploy), "notify-env")).isNull();

        // queue, the key held two levels up (release-env → plan-env, which has none → notify-queued): it would wait for ever.
        String release = server.execute("release-env", null);
        assertThat(server.awaitEnd(release, Duration.ofSeconds(10)).path("status").asText()).isEqualTo("failed");
        String plan = childOf(server.awaitHistory(release), "plan-env");
        assertThat(stepOf(server.run(plan), "notify").path("error").asText())
                .startsWith("a run of \"notify-queued\" would never start: every slot of its concurrency key \"env-prod\" (limit 1)");

        assertThat(server.get("/api/v2/workflows/runs?workflowId=notify-queued").body().path("runs")).isEmpty();
        assertThat(server.get("/api/v2/workflows/runs?workflowId=notify-env").body().path("runs")).isEmpty();
    }

    @Test
    void aChildOfItsParentsKeyRunsWhenTheLimitLeavesItASlotOrItWouldSkip() {
        server.apply("""
                id: audit-shared
                concurrency: {key: shared, limit: 2}
                steps:
                  - {id: say, type: log, message: "audited"}
                """);
        server.apply("""
                id: skip-shared
                concurrency: {key: shared, limit: 1, onLimit: skip}
                steps:
                  - {id: say, type: log, message: "never"}
                """);
        server.apply("""
                id: holds-shared
                concurrency: {key: shared, limit: 1}
                steps:
                  - {id: audit, type: workflow, workflow: audit-shared}
                  - {id: skipped, type: workflow, workflow: skip-shared}
                """);
        JsonNode run = server.awaitEnd(server.execute("holds-shared", null), Duration.ofSeconds(10));

        // skip gives up at the limit rather than wait: its run is queued, and ends cancelled at once, as the step does.
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("cancelled");
        assertThat(stepOf(run, "audit").path("outputs").path("status").asText()).isEqualTo("success");
        assertThat(stepOf(run, "skipped").path("status").asText()).isEqualTo("cancelled");
        JsonNode skipped = server.run(stepOf(run, "skipped").path("outputs").path("runId").asText());
        assertThat(skipped.path("status").asText()).isEqualTo("cancelled");
        assertThat(skipped.path("error").asText()).isEqualTo("concurrency limit");
    }

    /** The child run a parent's log names as started, or null. */
    private static String childOf(List<JsonNode> events, String workflowId) {
        for (String message : payloads(events, "step_log", p -> p.path("message").asText())) {
            Matcher m = STARTED.matcher(message);
            if (m.matches() && m.group(2).equals(workflowId)) {
                return m.group(1);
            }
        }
        return null;
    }
}
