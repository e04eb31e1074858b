package dev.stepstream.execution;

import static dev.stepstream.testing.TestServer.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RepositoryFiles;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Steps in parallel (docs/workflows.md, "Steps in parallel"): what starts when, what is skipped,
 * how the run ends; seen through the REST API and the run stream of a real server.
 */
@Timeout(120)
class GraphTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /**
     * One graph: its steps, and what the run must end as. {@code statuses} lists every step's
     * final status; {@code errors} the step errors that must appear (by prefix).
     */
    record Case(String name, String steps, String runStatus, Map<String, String> statuses, Map<String, String> errors) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("a diamond", """
                        - {id: a, type: log, message: a}
                        - {id: b, needs: [a], type: sleep, duration: 100ms}
                        - {id: c, needs: [a], type: sleep, duration: 100ms}
                        - {id: d, needs: [b, c], type: log, message: d}
                        """, "success", Map.of("a", "success", "b", "success", "c", "success", "d", "success"), Map.of()),
                new Case("a failure skips only what depends on it, directly or not", """
                        - {id: a, type: log, message: a}
                        - {id: b, needs: [a], type: fail, message: broken}
                        - {id: c, needs: [b], type: log, message: c}
                        - {id: e, needs: [c], type: log, message: e}
                        - {id: d, needs: [a], type: sleep, duration: 200ms}
                        - {id: f, needs: [d], type: log, message: f}
                        """, "failed",
                        Map.of("a", "success", "b", "failed", "c", "skipped", "e", "skipped", "d", "success", "f", "success"),
                        Map.of("b", "broken", "c", "needs \"b\", which failed", "e", "a step it needs was skipped: needs \"b\", which failed")),
                new Case("continueOnError lets what needs the step run", """
                        - {id: a, type: fail, message: flaky, continueOnError: true}
                        - {id: b, needs: [a], type: log, message: b}
                        """, "success", Map.of("a", "failed", "b", "success"), Map.of("a", "flaky")),
                new Case("a step skipped by when counts as ended for what needs it", """
                        - {id: a, type: log, message: a, when: false}
                        - {id: b, needs: [a], type: log, message: b}
                        """, "success", Map.of("a", "skipped", "b", "success"), Map.of()),
                new Case("timeouts in parallel branches fail those branches alone", """
                        - {id: slow1, type: sleep, duration: 30s, timeout: 300ms}
                        - {id: slow2, type: sleep, duration: 30s, timeout: 400ms}
                        - {id: fast, type: sleep, duration: 50ms}
                        - {id: after1, needs: [slow1], type: log, message: never}
                        - {id: afterFast, needs: [fast], type: log, message: yes}
                        """, "failed",
                        Map.of("slow1", "failed", "slow2", "failed", "fast", "success", "after1", "skipped", "afterFast", "success"),
                        Map.of("slow1", "timed out after 300ms", "slow2", "timed out after 400ms")),
                new Case("steps without needs start at once beside a chain", """
                        - {id: a, type: sleep, duration: 100ms}
                        - {id: b, needs: [a], type: sleep, duration: 100ms}
                        - {id: loner, type: log, message: alone}
                        """, "success", Map.of("a", "success", "b", "success", "loner", "success"), Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void graphSemantics(Case c) {
        String id = "graph-" + Integer.toHexString(c.name().hashCode());
        server.apply("id: " + id + "\nsteps:\n" + c.steps().indent(2));
        String runId = server.execute(id, null);
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo(c.runStatus());
        Map<String, String> statuses = new LinkedHashMap<>();
        run.path("steps").forEach(s -> statuses.put(s.path("stepId").asText(), s.path("status").asText()));
        assertThat(statuses).isEqualTo(c.statuses());
        c.errors().forEach((step, error) -> assertThat(stepOf(run, step).path("error").asText()).as(step).startsWith(error));
        assertGapless(events);
        assertNeedsRespected(run, events);
        // Each step ends once, and a step that never started (skipped) has no step_start.
        Map<String, Long> completes = events.stream().filter(e -> e.path("type").asText().equals("step_complete"))
                .collect(Collectors.groupingBy(e -> e.path("payload").path("stepId").asText(), Collectors.counting()));
        assertThat(completes).containsOnlyKeys(c.statuses().keySet()).allSatisfy((step, n) -> assertThat(n).isOne());
    }

    @Test
    void aFanOutOfFiftyRunsAtMostMaxParallelAtOnceAndAllAtOnceUpToIt() {
        StringBuilder yaml = new StringBuilder("id: fan-out\nmaxParallel: 8\nsteps:\n  - {id: root, type: log, message: go}\n");
        for (int i = 0; i < 50; i++) {
            yaml.append("  - {id: w").append(i).append(", needs: [root], type: sleep, duration: 150ms}\n");
        }
        yaml.append("  - {id: join, needs: [").append(IntStream.range(0, 50).mapToObj(i -> "w" + i).collect(Collectors.joining(", ")))
                .append("], type: log, message: done}\n");
        server.apply(yaml.toString());

        String runId = server.execute("fan-out", null);
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).isEqualTo("success");
        assertGapless(events);
        assertNeedsRespected(run, events);
        assertThat(mostRunningAtOnce(events)).isEqualTo(8);
        assertThat(stepOf(run, "w7").path("needs")).extracting(JsonNode::asText).containsExactly("root");
        assertThat(stepOf(run, "join").path("needs")).hasSize(50);
    }

    @Test
    void maxParallelOneRunsAGraphOneStepAtATime() {
        server.apply("""
                id: one-at-a-time
                maxParallel: 1
                steps:
                  - {id: a, type: sleep, duration: 50ms}
                  - {id: b, type: sleep, duration: 50ms}
                  - {id: c, needs: [a], type: sleep, duration: 50ms}
                """);
        String runId = server.execute("one-at-a-time", null);
        server.awaitEnd(runId);

        assertThat(mostRunningAtOnce(server.awaitHistory(runId))).isEqualTo(1);
    }

    @Test
    void cancelInTheMiddleStopsEveryRunningStepAndStartsNothingMore() {
        server.apply("""
                id: cancel-graph
                steps:
                  - {id: left, type: sleep, duration: 60s}
                  - {id: right, type: sleep, duration: 60s}
                  - {id: quick, type: log, message: hi}
                  - {id: after, needs: [left, right], type: log, message: never}
                """);
        String runId = server.execute("cancel-graph", null);
        Await.until("both sleeps run", Duration.ofSeconds(10), () -> {
            JsonNode run = server.run(runId);
            return stepOf(run, "left").path("status").asText().equals("running")
                    && stepOf(run, "right").path("status").asText().equals("running") ? run : null;
        });

        assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
        JsonNode run = server.awaitEnd(runId, Duration.ofSeconds(10));

        assertThat(run.path("status").asText()).isEqualTo("cancelled");
        assertThat(stepOf(run, "left").path("status").asText()).isEqualTo("cancelled");
        assertThat(stepOf(run, "right").path("status").asText()).isEqualTo("cancelled");
        assertThat(stepOf(run, "after").path("status").asText()).isEqualTo("pending");
        List<JsonNode> events = server.awaitHistory(runId);
        assertGapless(events);
        assertThat(types(events).getLast()).isEqualTo("run_complete");
    }

    @Test
    void everyClientSeesTheParallelRunExactlyAsItsHistory() throws Exception {
        StringBuilder yaml = new StringBuilder("id: chatty-graph\nmaxParallel: 20\nsteps:\n");
        for (int i = 0; i < 20; i++) {
            yaml.append("  - id: s").append(i).append("\n    type: script\n    run: 'for i in $(seq 1 200); do echo ")
                    .append(i).append("-$i; echo err-$i >&2; done'\n");
        }
        yaml.append("  - {id: last, needs: [").append(IntStream.range(0, 20).mapToObj(i -> "s" + i).collect(Collectors.joining(", ")))
                .append("], type: set, vars: {done: true}}\n");
        server.apply(yaml.toString());
        String runId = server.execute("chatty-graph", null);

        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                clients.add(WsClient.connect(http, server.streamUrl(runId, i % 2 == 0 ? "" : "batch=1")));
            }
            for (WsClient client : clients) {
                assertThat(client.awaitClose(Duration.ofSeconds(60)).code()).isEqualTo(1000);
            }
            List<String> history = server.rawEvents(runId);
            assertThat(history).hasSize(1 + 20 * 2 + 20 * 400 + 2 + 1 + 1);
            for (WsClient client : clients) {
                assertThat(client.envelopeTexts()).isEqualTo(history);
            }
            // Each script's lines keep their order, whatever ran beside it.
            List<JsonNode> events = server.awaitHistory(runId);
            for (int i = 0; i < 20; i++) {
                String step = "s" + i;
                List<String> out = events.stream()
                        .filter(e -> e.path("type").asText().equals("step_log") && e.path("payload").path("stepId").asText().equals(step)
                                && e.path("payload").path("level").asText().equals("info"))
                        .map(e -> e.path("payload").path("message").asText()).toList();
                int n = i;
                assertThat(out).containsExactlyElementsOf(IntStream.rangeClosed(1, 200).mapToObj(k -> n + "-" + k).toList());
            }
            assertThat(mostRunningAtOnce(events)).isGreaterThan(1);
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    static Stream<Arguments> invalidGraphs() {
        return Stream.of(
                Arguments.of("""
                        steps:
                          - {id: a, type: log, message: a}
                          - {id: b, needs: [a, nope], type: log, message: b}
                        """, "steps[1].needs[1]", "\"nope\" names no step"),
                Arguments.of("""
                        steps:
                          - {id: a, needs: [a], type: log, message: a}
                        """, "steps[0].needs[0]", "a step cannot need itself"),
                Arguments.of("""
                        steps:
                          - {id: x, type: log, message: x}
                          - {id: a, needs: [x, c], type: log, message: a}
                          - {id: b, needs: [a], type: log, message: b}
                          - {id: c, needs: [b], type: log, message: c}
                        """, "steps[1].needs", "cycle: a → c → b → a"), // each needs the next
                Arguments.of("""
                        maxParallel: 0
                        steps:
                          - {id: a, type: log, message: a}
                        """, "maxParallel", "expected a whole number from 1 to 256, got 0"),
                Arguments.of("""
                        maxParallel: 257
                        steps:
                          - {id: a, type: log, message: a}
                        """, "maxParallel", "expected a whole number from 1 to 256, got 257"),
                Arguments.of("""
                        steps:
                          - {id: a, type: log, message: a}
                          - {id: b, needs: a, type: log, message: b}
                        """, "steps[1].needs", "expected a list of step ids"),
                Arguments.of("""
                        steps:
                          - {id: build, type: log, message: a}
                          - {id: other, type: log, message: a}
                          - {id: ship, needs: [other], type: log, message: "${steps.build.outputs.version}"}
                        """, "steps[2].message", "reads the outputs of step \"build\", which this step does not need"),
                Arguments.of("""
                        steps:
                          - {id: early, type: log, message: "${steps.late.outputs.version}"}
                          - {id: late, type: log, message: a}
                        """, "steps[0].message", "reads the outputs of step \"late\", which runs after this one"),
                Arguments.of("""
                        steps:
                          - {id: child, type: workflow}
                        """, "steps[0].workflow", "required"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("invalidGraphs")
    void aWrongGraphIs422WithThePathOfEachProblem(String steps, String path, String message) {
        TestServer.Response response = server.putYaml("/api/v2/workflows/wrong-graph", "id: wrong-graph\n" + steps);

        assertThat(response.status()).as(response.text()).isEqualTo(422);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_workflow");
        List<String> problems = new ArrayList<>();
        response.body().path("error").path("details")
                .forEach(p -> problems.add(p.path("path").asText() + ": " + p.path("message").asText()));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith(path + ": ").contains(message));
        assertThat(server.get("/api/v2/workflows/wrong-graph").status()).as("nothing stored").isEqualTo(404);
    }

    @Test
    void outputsReadThroughNeedsDirectOrNotOrInListOrderAreValid() {
        server.apply("""
                id: reads-outputs
                steps:
                  - {id: build, type: log, message: a}
                  - {id: mid, needs: [build], type: log, message: b}
                  - {id: ship, needs: [mid], type: log, message: "${steps.build.outputs.version}"}
                """);
        server.apply("""
                id: reads-outputs-in-order
                steps:
                  - {id: build, type: log, message: a}
                  - {id: ship, type: log, message: "${steps.build.outputs.version}"}
                """);
    }

    @Test
    void theExamplesOfTheDocsRunAsAGraph() throws Exception {
        server.apply(Files.readString(RepositoryFiles.path("docs/examples/e2e-suite.yaml")));
        server.apply(Files.readString(RepositoryFiles.path("docs/examples/release.yaml")));
        String runId = server.execute("release", null);
        JsonNode run = server.awaitEnd(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(mostRunningAtOnce(server.awaitHistory(runId))).isEqualTo(3);
        assertThat(TestServer.payloads(server.awaitHistory(runId), "step_log", p -> p.path("message").asText()))
                .contains("shipping 1.4.2: e2e success");
    }

    // --- helpers ------------------------------------------------------------------------------

    static JsonNode stepOf(JsonNode run, String stepId) {
        for (JsonNode step : run.path("steps")) {
            if (step.path("stepId").asText().equals(stepId)) {
                return step;
            }
        }
        throw new AssertionError("no step " + stepId + " in " + run);
    }

    static void assertGapless(List<JsonNode> events) {
        assertThat(events).extracting(e -> e.path("seq").asLong())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(types(events).getFirst()).isEqualTo("run_start");
        assertThat(types(events).getLast()).isEqualTo("run_complete");
    }

    /** No step starts before every step it needs has completed. */
    static void assertNeedsRespected(JsonNode run, List<JsonNode> events) {
        Map<String, Long> firstStart = new HashMap<>();
        Map<String, Long> lastComplete = new HashMap<>();
        for (JsonNode e : events) {
            String step = e.path("payload").path("stepId").asText();
            switch (e.path("type").asText()) {
                case "step_start" -> firstStart.putIfAbsent(step, e.path("seq").asLong());
                case "step_complete" -> lastComplete.put(step, e.path("seq").asLong());
                default -> { }
            }
        }
        for (JsonNode step : run.path("steps")) {
            Long started = firstStart.get(step.path("stepId").asText());
            if (started == null) {
                continue;
            }
            for (JsonNode need : step.path("needs")) {
                assertThat(lastComplete.get(need.asText())).as(step.path("stepId").asText() + " needs " + need.asText())
                        .isNotNull().isLessThan(started);
            }
        }
    }

    /** The most steps running at once, read from the order of starts and completes. */
    static int mostRunningAtOnce(List<JsonNode> events) {
        int running = 0;
        int most = 0;
        for (JsonNode e : events) {
            switch (e.path("type").asText()) {
                case "step_start" -> most = Math.max(most, ++running);
                case "step_complete" -> {
                    if (!e.path("payload").path("status").asText().equals("skipped")) {
                        running--;
                    }
                }
                default -> { }
            }
        }
        return most;
    }
}
