package dev.stepstream.execution;

import static dev.stepstream.execution.GraphTest.assertGapless;
import static dev.stepstream.execution.GraphTest.stepOf;
import static dev.stepstream.testing.TestServer.payloads;
import static dev.stepstream.testing.TestServer.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code onInterrupt: resume} on one node (docs/workflows.md, "Runs that outlive their node"): a
 * server that stops hands its resumable runs back, and the next start goes on with them from
 * their log, never running an ended step again.
 */
@Timeout(90)
class ResumeTest {

    /** Steps that write what they did to a file, a gate that holds one of them, and a step after. */
    private static String workflow(String onInterrupt, Path work) {
        return """
                id: durable
                onInterrupt: %s
                steps:
                  - {id: first, type: script, run: "echo first >> '%2$s/done'"}
                  - {id: remember, type: set, vars: {phase: one}}
                  - {id: gate, needs: [first, remember], type: script, run: "echo gate-started >> '%2$s/done'; while [ ! -f '%2$s/open' ]; do sleep 0.02; done; echo gate >> '%2$s/done'"}
                  - {id: side, needs: [first], type: script, run: "echo side >> '%2$s/done'"}
                  - {id: last, needs: [gate, side], type: log, message: "phase ${vars.phase}"}
                """.formatted(onInterrupt, work);
    }

    @Test
    void aResumableRunGoesOnAfterARestartAndNoEndedStepRunsTwice(@TempDir Path data, @TempDir Path work) throws Exception {
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply(workflow("resume", work));
            runId = server.execute("durable", null);
            Await.until("the gate step runs", Duration.ofSeconds(20), () ->
                    stepOf(server.run(runId), "gate").path("status").asText().equals("running")
                            && stepOf(server.run(runId), "side").path("status").asText().equals("success") ? true : null);
        }
        // Stopped gracefully mid-gate: the run was handed back, not ended.
        try (TestServer server = TestServer.start(data)) {
            Await.until("the gate runs again", Duration.ofSeconds(20), () ->
                    lines(work.resolve("done")).stream().filter("gate-started"::equals).count() == 2 ? true : null);
            Files.createFile(work.resolve("open"));
            JsonNode run = server.awaitEnd(runId);
            List<JsonNode> events = server.awaitHistory(runId);

            assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
            assertGapless(events);
            assertThat(types(events)).containsOnlyOnce("run_start", "run_resumed", "run_complete");
            JsonNode resumed = payloads(events, "run_resumed", p -> p).getFirst();
            assertThat(resumed.path("restartedSteps")).extracting(JsonNode::asText).containsExactly("gate");
            assertThat(resumed.path("node").asText()).isNotBlank();
            assertThat(stepOf(run, "gate").path("attempt").asInt()).as("a new attempt").isEqualTo(2);
            assertThat(Files.readAllLines(work.resolve("done")))
                    .as("the steps that had ended ran once").containsOnlyOnce("first", "side")
                    .filteredOn("gate"::equals).hasSize(1);
            assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("phase one");
            assertThat(run.path("duration").asLong()).as("counted from the run's start")
                    .isGreaterThanOrEqualTo(Duration.between(java.time.Instant.parse(run.path("startedAt").asText()),
                            java.time.Instant.parse(run.path("finishedAt").asText())).toMillis() - 5);
        }
    }

    @Test
    void aResumedRunSeesTheVariablesSetBeforeTheStopWholeThoughTheirEventsCarryAPreview(@TempDir Path data, @TempDir Path work)
            throws Exception {
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply(RetryTest.largeValues("resume", """
                      - {id: gate, type: script, run: "echo gate-started >> '%1$s/done'; while [ ! -f '%1$s/open' ]; do sleep 0.02; done"}
                    """.formatted(work)));
            runId = server.execute("large", null);
            // Its script's first line written, not only its step_start: else the stop may come before
            // the shell has run, and the gate would start once only.
            Await.until("the gate step runs", Duration.ofSeconds(20), () ->
                    lines(work.resolve("done")).contains("gate-started") ? true : null);
        }
        try (TestServer server = TestServer.start(data)) {
            Await.until("the gate runs again", Duration.ofSeconds(20), () ->
                    lines(work.resolve("done")).stream().filter("gate-started"::equals).count() == 2 ? true : null);
            Files.createFile(work.resolve("open"));
            JsonNode run = server.awaitEnd(runId);
            List<JsonNode> events = server.awaitHistory(runId);

            assertThat(types(events)).containsOnlyOnce("run_resumed");
            assertThat(stepOf(run, "l").path("status").asText()).as(run.path("error").asText()).isEqualTo("success");
            assertThat(payloads(events, "step_log", p -> p.path("message").asText()))
                    .as("what the step after the resume reads").contains("size=16384 k=32768");
            assertThat(run.path("error").asText()).contains("stop here");
            assertThat(run.path("variables").path("s").asText()).hasSize(16_384);
            assertThat(run.path("variables").path("obj").path("k").asText()).hasSize(32_768);
            assertThat(payloads(events, "variable_change", p -> p.path("truncated").asBoolean())).containsExactly(true, true);
        }
    }

    /** The file's lines; none while it does not exist yet. */
    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A parent run whose workflow step waits for a child run, and that child. */
    private record Family(String parentId, String childId) {}

    /**
     * Starts a run of a parent, resumable or not, whose one step calls a resumable child that
     * runs until {@code work/open} exists; returns once the child's step runs.
     */
    private static Family parentWaitingForADurableChild(TestServer server, Path work, boolean parentResumes) {
        server.apply("""
                id: durable-child
                onInterrupt: resume
                steps:
                  - {id: wait, type: script, run: "while [ ! -f '%s/open' ]; do sleep 0.02; done; echo through"}
                """.formatted(work));
        server.apply("""
                id: parent
                onInterrupt: %s
                steps:
                  - {id: call, type: workflow, workflow: durable-child}
                """.formatted(parentResumes ? "resume" : "fail"));
        String parentId = server.execute("parent", null);
        String childId = Await.until("the child runs", Duration.ofSeconds(20), () -> {
            String id = payloads(server.events(parentId), "step_log", p -> p.path("message").asText()).stream()
                    .filter(m -> m.startsWith("started run ")).map(m -> m.substring(12, 48)).findFirst().orElse(null);
            return id != null && stepOf(server.run(id), "wait").path("status").asText().equals("running") ? id : null;
        });
        return new Family(parentId, childId);
    }

    @Test
    void aResumedParentTakesUpTheChildItHadStartedRatherThanStartAnother(@TempDir Path data, @TempDir Path work) throws Exception {
        Family family;
        try (TestServer server = TestServer.start(data)) {
            family = parentWaitingForADurableChild(server, work, true);
        }
        String parentId = family.parentId();
        String childId = family.childId();
        try (TestServer server = TestServer.start(data)) {
            Await.until("the child is resumed", Duration.ofSeconds(20),
                    () -> types(server.events(childId)).contains("run_resumed") ? true : null);
            Files.createFile(work.resolve("open"));
            JsonNode parent = server.awaitEnd(parentId);

            assertThat(parent.path("status").asText()).as(parent.toString()).isEqualTo("success");
            assertThat(stepOf(parent, "call").path("outputs").path("runId").asText()).isEqualTo(childId);
            assertThat(server.awaitEnd(childId).path("status").asText()).isEqualTo("success");
            assertThat(payloads(server.awaitHistory(parentId), "step_log", p -> p.path("message").asText()))
                    .contains("took up again run " + childId + " of workflow \"durable-child\"");
            assertThat(server.get("/api/v2/workflows/runs?workflowId=durable-child").body().path("runs"))
                    .as("no second child").hasSize(1);
        }
    }

    /**
     * The same but for a parent that cannot resume: it ends interrupted at the shutdown, and its
     * child is cancelled (CrashRecoveryTest: the same after a crash).
     */
    @Test
    void aChildOfAParentThatCannotResumeIsCancelledWhenAShutdownEndsTheParent(@TempDir Path data, @TempDir Path work) throws Exception {
        Family family;
        try (TestServer server = TestServer.start(data)) {
            family = parentWaitingForADurableChild(server, work, false);
        }
        try (TestServer server = TestServer.start(data)) {
            assertThat(server.awaitEnd(family.parentId()).path("status").asText()).isEqualTo("interrupted");
            JsonNode child = server.awaitEnd(family.childId());
            Files.createFile(work.resolve("open")); // a child that ran on would now succeed
            assertThat(child.path("status").asText()).as(child.toString()).isEqualTo("cancelled");
        }
    }

    @Test
    void withoutResumeARunStoppedByAShutdownEndsInterruptedAsBefore(@TempDir Path data, @TempDir Path work) throws Exception {
        String runId;
        try (TestServer server = TestServer.start(data)) {
            server.apply(workflow("fail", work));
            runId = server.execute("durable", null);
            Await.until("the gate step runs", Duration.ofSeconds(20), () ->
                    stepOf(server.run(runId), "gate").path("status").asText().equals("running") ? true : null);
        }
        try (TestServer server = TestServer.start(data)) {
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).isEqualTo("interrupted");
            assertThat(types(server.awaitHistory(runId))).doesNotContain("run_resumed");
        }
    }

    @Test
    void onInterruptTakesFailOrResume(@TempDir Path data) {
        try (TestServer server = TestServer.start(data)) {
            TestServer.Response response = server.putYaml("/api/v2/workflows/odd",
                    "id: odd\nonInterrupt: retry\nsteps:\n  - {id: a, type: log, message: a}\n");
            assertThat(response.status()).isEqualTo(422);
            assertThat(response.text()).contains("onInterrupt", "expected fail or resume, got \\\"retry\\\"");
        }
    }
}
