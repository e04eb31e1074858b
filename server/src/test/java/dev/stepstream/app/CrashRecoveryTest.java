package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.StepsFromEvents;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 in the middle of a run; the next start finds it and marks it, and runs what was queued. */
@Timeout(120)
class CrashRecoveryTest {
    @TempDir
    Path data;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aRunCutOffByACrashIsMarkedInterruptedAndQueuedRunsRunAfterRestart() throws Exception {
        String runId;
        String queuedId;
        List<JsonNode> before;
        try (ChildServer first = ChildServer.start(data, "--allow-scripts", "--max-concurrent-runs", "1")) {
            put(first.url(), "/api/v2/workflows/slow", """
                    id: slow
                    steps:
                      - {id: talk, type: script, run: "echo one; echo two; sleep 600"}
                      - {id: after, type: log, message: never}
                    """);
            put(first.url(), "/api/v2/workflows/quick", "id: quick\nsteps:\n  - {id: a, type: log, message: hi}\n");
            runId = post(first.url(), "/api/v2/workflows/slow/execute").path("runId").asText();
            queuedId = post(first.url(), "/api/v2/workflows/quick/execute").path("runId").asText();
            before = Await.until("the script has logged twice", Duration.ofSeconds(30), () -> {
                List<JsonNode> events = events(first.url(), runId);
                return events.stream().filter(e -> e.path("type").asText().equals("step_log")).count() == 2 ? events : null;
            });
            assertThat(get(first.url(), "/api/v2/workflows/runs/" + queuedId).path("status").asText()).isEqualTo("queued");
            first.kill();
        }

        try (ChildServer second = ChildServer.start(data, "--allow-scripts")) {
            JsonNode run = Await.until("the cut-off run is marked", Duration.ofSeconds(30), () -> {
                JsonNode detail = get(second.url(), "/api/v2/workflows/runs/" + runId);
                return detail.path("status").asText().equals("interrupted") ? detail : null;
            });
            List<JsonNode> after = Await.until("its run_complete is stored", Duration.ofSeconds(30), () -> {
                List<JsonNode> events = events(second.url(), runId);
                return events.get(events.size() - 1).path("type").asText().equals("run_complete") ? events : null;
            });
            assertThat(after.subList(0, before.size())).as("history intact").isEqualTo(before);
            for (int i = 0; i < after.size(); i++) {
                assertThat(after.get(i).path("seq").asLong()).as("gapless").isEqualTo(i + 1);
            }
            // What the dead node left open is ended in the log, then the run: step_complete, run_complete.
            assertThat(after.subList(before.size(), after.size())).extracting(e -> e.path("type").asText())
                    .containsExactly("step_complete", "run_complete");
            JsonNode talkStart = before.stream().filter(e -> e.path("type").asText().equals("step_start")).findFirst().orElseThrow();
            JsonNode talkEnd = after.get(after.size() - 2);
            assertThat(talkEnd.path("payload").path("stepId").asText()).isEqualTo("talk");
            assertThat(talkEnd.path("payload").path("status").asText()).isEqualTo("cancelled");
            assertThat(talkEnd.path("payload").path("attempt").asInt()).isEqualTo(1);
            assertThat(talkEnd.path("payload").has("error")).as("as the driver's: error only when failed").isFalse();
            assertThat(talkEnd.path("payload").path("duration").asLong()).as("from the step's start")
                    .isPositive().isEqualTo(millisBetween(talkStart, talkEnd));
            JsonNode complete = after.get(after.size() - 1);
            assertThat(complete.path("payload").path("status").asText()).isEqualTo("interrupted");
            assertThat(complete.path("payload").path("error").asText()).isEqualTo("the server stopped while the run was running");
            assertThat(complete.path("payload").path("duration").asLong()).as("from the run's start")
                    .isEqualTo(millisBetween(after.get(0), complete));
            assertThat(run.path("finishedAt").isTextual()).isTrue();
            assertThat(run.path("steps").get(0).path("status").asText()).isEqualTo("cancelled");
            assertThat(run.path("steps").get(1).path("status").asText()).isEqualTo("pending");
            StepsFromEvents.assertAgreesWithDetail(get(second.url(), "/api/v2/workflows/runs/" + runId), after);

            JsonNode queued = Await.until("the queued run ran", Duration.ofSeconds(30), () -> {
                JsonNode detail = get(second.url(), "/api/v2/workflows/runs/" + queuedId);
                return detail.path("status").asText().equals("success") ? detail : null;
            });
            assertThat(queued.path("lastSeq").asLong()).isEqualTo(5);
        }
    }

    /**
     * A parent that cannot resume, cut off while it waits for a child that can: the parent ends
     * interrupted at the restart, and so its child is cancelled rather than resumed to run on
     * for nobody (a parent that resumes takes its child up instead: ResumeTest).
     */
    @Test
    void aChildOfARunCutOffByACrashIsCancelledWhenItsParentEndsInterrupted(@TempDir Path work) throws Exception {
        String parentId;
        String childId;
        try (ChildServer first = ChildServer.start(data, "--allow-scripts")) {
            put(first.url(), "/api/v2/workflows/durable-child", """
                    id: durable-child
                    onInterrupt: resume
                    steps:
                      - {id: wait, type: script, run: "while [ ! -f '%s/open' ]; do sleep 0.02; done; echo through"}
                      - {id: after, type: log, message: "ran on"}
                    """.formatted(work));
            put(first.url(), "/api/v2/workflows/fragile-parent", """
                    id: fragile-parent
                    steps:
                      - {id: call, type: workflow, workflow: durable-child}
                    """);
            parentId = post(first.url(), "/api/v2/workflows/fragile-parent/execute").path("runId").asText();
            childId = awaitChild(first.url(), parentId, id -> get(first.url(), "/api/v2/workflows/runs/" + id).path("steps").get(0)
                    .path("status").asText().equals("running"));
            first.kill();
        }

        try (ChildServer second = ChildServer.start(data, "--allow-scripts")) {
            JsonNode parent = Await.until("the parent is marked", Duration.ofSeconds(30), () -> {
                JsonNode detail = get(second.url(), "/api/v2/workflows/runs/" + parentId);
                return detail.path("status").asText().equals("interrupted") ? detail : null;
            });
            assertThat(parent.path("steps").get(0).path("status").asText()).isEqualTo("cancelled");
            JsonNode child = Await.until("the child has ended", Duration.ofSeconds(30), () -> {
                JsonNode detail = get(second.url(), "/api/v2/workflows/runs/" + childId);
                return List.of("success", "failed", "cancelled", "interrupted").contains(detail.path("status").asText()) ? detail : null;
            });
            java.nio.file.Files.createFile(work.resolve("open")); // a child that ran on would now end its step
            assertThat(child.path("status").asText()).as(child.toString()).isEqualTo("cancelled");
            assertThat(child.path("steps").get(1).path("status").asText()).isEqualTo("pending");
            StepsFromEvents.assertAgreesWithDetail(get(second.url(), "/api/v2/workflows/runs/" + childId), events(second.url(), childId));
        }
    }

    /**
     * The mirror: a parent that resumes, cut off while it waits for a child that cannot. The
     * child ends interrupted at the restart, before the parent resumes; the parent's restarted
     * step takes that ended child up and fails naming it, as it would have had it run on. It
     * once started a new child instead, which ran the child's work again, and the step succeeded.
     */
    @Test
    void aResumedParentTakesUpItsChildThatEndedInterruptedAndItsStepFails(@TempDir Path work) throws Exception {
        String parentId;
        String childId;
        try (ChildServer first = ChildServer.start(data, "--allow-scripts")) {
            put(first.url(), "/api/v2/workflows/fragile-child", """
                    id: fragile-child
                    steps:
                      - {id: wait, type: script, run: "echo ran >> '%1$s/runs'; while [ ! -f '%1$s/open' ]; do sleep 0.02; done"}
                    """.formatted(work));
            put(first.url(), "/api/v2/workflows/durable-parent", """
                    id: durable-parent
                    onInterrupt: resume
                    steps:
                      - {id: call, type: workflow, workflow: fragile-child}
                    """);
            parentId = post(first.url(), "/api/v2/workflows/durable-parent/execute").path("runId").asText();
            childId = awaitChild(first.url(), parentId, id -> java.nio.file.Files.exists(work.resolve("runs")));
            first.kill();
        }

        try (ChildServer second = ChildServer.start(data, "--allow-scripts")) {
            JsonNode parent = Await.until("the parent has ended", Duration.ofSeconds(30), () -> {
                JsonNode detail = get(second.url(), "/api/v2/workflows/runs/" + parentId);
                return List.of("success", "failed", "cancelled", "interrupted").contains(detail.path("status").asText()) ? detail : null;
            });
            java.nio.file.Files.createFile(work.resolve("open")); // a second child would now end its step
            assertThat(get(second.url(), "/api/v2/workflows/runs/" + childId).path("status").asText()).isEqualTo("interrupted");
            assertThat(parent.path("status").asText()).as(parent.toString()).isEqualTo("failed");
            assertThat(parent.path("steps").get(0).path("status").asText()).isEqualTo("failed");
            assertThat(parent.path("steps").get(0).path("error").asText())
                    .startsWith("run " + childId + " of workflow \"fragile-child\" ended interrupted: ");
            assertThat(events(second.url(), parentId)).extracting(e -> e.path("payload").path("message").asText())
                    .contains("took up again run " + childId + " of workflow \"fragile-child\"")
                    .noneMatch(message -> message.startsWith("started run ") && !message.contains(childId));
            assertThat(java.nio.file.Files.readAllLines(work.resolve("runs"))).as("the child's work ran once").hasSize(1);
        }
    }

    @Test
    void aBadFlagStopsServeBeforeItListensNamingTheFlag() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        for (List<String> args : List.of(List.of("--port", "eighty"), List.of("--bogus"), List.of("--host", "0.0.0.0"))) {
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(ChildServer.QUICK_START);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.stepstream.Main", "serve", "--data-dir", data.toString()));
            command.addAll(args);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            assertThat(process.waitFor()).as(output).isEqualTo(2);
            assertThat(output).as(args.toString()).contains(args.get(0)).doesNotContain("listening", "Exception");
            assertThat(output.strip().lines().count()).as(output).isEqualTo(1);
        }
    }

    private static long millisBetween(JsonNode from, JsonNode to) {
        return Duration.between(Instant.parse(from.path("time").asText()), Instant.parse(to.path("time").asText())).toMillis();
    }

    private JsonNode send(HttpRequest request) {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return Json.MAPPER.readTree(response.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode get(String url, String path) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).build());
    }

    private void put(String url, String path, String yaml) {
        JsonNode body = send(HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(yaml)).build());
        assertThat(body.path("version").asInt()).as(body.toString()).isPositive();
    }

    private JsonNode post(String url, String path) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** The run the parent's workflow step started (its log says "started run <id>"), once {@code running} holds for it. */
    private String awaitChild(String url, String parentId, java.util.function.Predicate<String> running) {
        return Await.until("the child runs", Duration.ofSeconds(30), () -> {
            String id = events(url, parentId).stream().filter(e -> e.path("type").asText().equals("step_log"))
                    .map(e -> e.path("payload").path("message").asText()).filter(m -> m.startsWith("started run "))
                    .map(m -> m.substring(12, 48)).findFirst().orElse(null);
            return id != null && running.test(id) ? id : null;
        });
    }

    private List<JsonNode> events(String url, String runId) {
        List<JsonNode> events = new ArrayList<>();
        get(url, "/api/v2/workflows/runs/" + runId + "/events?limit=10000").path("events").forEach(events::add);
        return events;
    }
}
