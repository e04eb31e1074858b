package dev.stepstream.execution;

import static dev.stepstream.testing.TestServer.payloads;
import static dev.stepstream.testing.TestServer.types;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.stepstream.json.Json;
import dev.stepstream.testing.RepositoryFiles;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a run does and emits, seen through the REST API of a real server. */
@Timeout(120)
class RunExecutionTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static HttpServer target;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(dir);
        target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/echo", exchange -> {
            byte[] request = exchange.getRequestBody().readAllBytes();
            var body = Json.object().put("method", exchange.getRequestMethod())
                    .put("query", exchange.getRequestURI().getQuery())
                    .put("header", exchange.getRequestHeaders().getFirst("X-Test"));
            body.set("received", Json.MAPPER.readTree(request));
            byte[] reply = Json.bytes(body);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        target.createContext("/missing", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        target.createContext("/slow", exchange -> {
            try {
                Thread.sleep(3000); // the server under test must give up first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        target.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        target.start();
    }

    @AfterAll
    static void stop() {
        target.stop(0);
        server.close();
    }

    static String targetUrl() {
        return "http://127.0.0.1:" + target.getAddress().getPort();
    }

    @Test
    void everyStepTypeRunsAndEmitsItsEventsInOrder() {
        server.apply(Yaml.fixture("it-every-step.yaml"));
        String runId = server.execute("every-step", "{\"times\": 3, \"target\": \"" + targetUrl() + "\"}");
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(events).extracting(e -> e.path("seq").asLong())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events).allSatisfy(e -> assertThat(e.path("runId").asText()).isEqualTo(runId));
        assertThat(types(events).get(0)).isEqualTo("run_start");
        assertThat(types(events).get(events.size() - 1)).isEqualTo("run_complete");
        assertThat(events.get(0).path("payload").path("inputs").path("who").asText()).as("defaults applied").isEqualTo("world");
        assertThat(payloads(events, "step_start", p -> p.path("stepId").asText()))
                .containsExactly("greet", "remember", "change", "pause", "call", "build", "summary");
        assertThat(payloads(events, "step_complete", p -> p.path("status").asText())).containsOnly("success");

        // log: level and rendered message
        JsonNode greeting = events.stream().filter(e -> e.path("type").asText().equals("step_log")).findFirst().orElseThrow();
        assertThat(greeting.path("payload").path("message").asText()).isEqualTo("Hello world");
        assertThat(greeting.path("payload").path("level").asText()).isEqualTo("debug");

        // set: diffs with types kept
        List<JsonNode> changes = payloads(events, "variable_change", p -> p);
        assertThat(changes).extracting(p -> p.path("varName").asText() + ":" + p.path("changeType").asText())
                .startsWith("greeted:create", "count:create", "flag:create", "count:update", "flag:delete");
        JsonNode countUpdate = changes.get(3);
        assertThat(countUpdate.path("oldValue").asInt()).isEqualTo(6);
        assertThat(countUpdate.path("newValue").asInt()).isEqualTo(7);
        assertThat(changes.get(1).path("oldValue").isNull()).isTrue();
        assertThat(changes.get(4).path("newValue").isNull()).isTrue();

        // http: request rendered, JSON response parsed and saved
        JsonNode response = run.path("variables").path("response");
        assertThat(response.path("status").asInt()).isEqualTo(200);
        assertThat(response.path("body").path("method").asText()).isEqualTo("POST");
        assertThat(response.path("body").path("query").asText()).isEqualTo("who=world");
        assertThat(response.path("body").path("header").asText()).isEqualTo("yes");
        assertThat(response.path("body").path("received").path("count").asInt()).isEqualTo(7);
        assertThat(response.path("headers").path("content-type").asText()).isEqualTo("application/json");

        // script: stdout as info, stderr as warn, env rendered, exit code saved
        List<String> scriptLines = events.stream()
                .filter(e -> e.path("type").asText().equals("step_log") && e.path("payload").path("stepId").asText().equals("build"))
                .map(e -> e.path("payload").path("level").asText() + " " + e.path("payload").path("message").asText())
                .toList();
        assertThat(scriptLines).contains("info out-1", "warn err-1", "info out-2", "info hi world");
        assertThat(scriptLines.indexOf("info out-1")).isLessThan(scriptLines.indexOf("info out-2"));
        assertThat(run.path("variables").path("build").path("exitCode").asInt()).isZero();

        // expressions see vars, nested JSON and step statuses
        assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("7 / 0 / success");

        // the run detail is the projection of the events
        assertThat(run.path("lastSeq").asLong()).isEqualTo(events.size());
        assertThat(run.path("variables").has("flag")).isFalse();
        assertThat(run.path("variables").path("count").asInt()).isEqualTo(7);
        assertThat(run.path("steps")).hasSize(7).allSatisfy(step -> {
            assertThat(step.path("status").asText()).isEqualTo("success");
            assertThat(step.path("attempt").asInt()).isEqualTo(1);
            assertThat(step.path("duration").isNumber()).isTrue();
        });
        assertThat(run.path("startedAt").asText()).isNotEmpty();
        assertThat(run.path("finishedAt").asText()).isNotEmpty();
        JsonNode complete = events.get(events.size() - 1).path("payload");
        assertThat(complete.path("status").asText()).isEqualTo("success");
        assertThat(complete.path("duration").isIntegralNumber()).isTrue();
    }

    /**
     * A script that alternates stdout and stderr: its lines are stored in the order written,
     * each with its stream's level (docs/workflows.md, "Script output": exact whenever the
     * writes are further apart than a reader takes to wake, as with a command in between).
     */
    /**
     * Two pipes have no order between them: lines written far enough apart (50 ms here; 20 ms
     * was once too little on a loaded 2-core machine) are stored as written.
     */
    @Test
    void aScriptsStdoutAndStderrLinesAreStoredInTheOrderWritten() {
        server.apply("""
                id: interleaved
                steps:
                  - id: talk
                    type: script
                    run: 'i=1; while [ $i -le 25 ]; do echo "out $i"; sleep 0.05; echo "err $i" >&2; sleep 0.05; i=$((i+1)); done'
                """);
        String runId = server.execute("interleaved", null);
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        List<String> lines = server.awaitHistory(runId).stream()
                .filter(e -> e.path("type").asText().equals("step_log"))
                .map(e -> e.path("payload").path("level").asText() + " " + e.path("payload").path("message").asText())
                .toList();
        List<String> written = new java.util.ArrayList<>();
        for (int i = 1; i <= 25; i++) {
            written.add("info out " + i);
            written.add("warn err " + i);
        }
        assertThat(lines).containsExactlyElementsOf(written);
    }

    /** README's quick start shows the seq of the hello run's run_complete: it must be what hello emits. */
    @Test
    void theReadmesSampleSeqIsWhatTheHelloWorkflowEmits() throws IOException {
        String readme = java.nio.file.Files.readString(RepositoryFiles.path("README.md"));
        java.util.regex.Matcher shown = java.util.regex.Pattern.compile("\\{\"seq\":(\\d+),\"type\":\"run_complete\"").matcher(readme);
        assertThat(shown.find()).as("README shows a run_complete with its seq").isTrue();
        String hello = java.nio.file.Files.readString(RepositoryFiles.path("workflows/hello.yaml"));
        assertThat(hello).containsPattern("(?m)^id: hello$");
        server.apply(hello.replaceFirst("(?m)^id: hello$", "id: readme-hello")); // the test fixtures have a hello of their own
        String runId = server.execute("readme-hello", "{\"who\": \"you\"}"); // as README's curl does
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        List<JsonNode> events = server.awaitHistory(runId);
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("type").asText()).isEqualTo("run_complete");
        assertThat(last.path("seq").asLong()).isEqualTo(Long.parseLong(shown.group(1)));
    }

    @Test
    void aFailedStepFailsTheRunUnlessItContinuesOnError() {
        server.apply(Yaml.fixture("it-fail.yaml"));
        String runId = server.execute("failing", null);
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(run.path("error").asText()).contains("stop", "gave up on everyone");
        assertThat(payloads(events, "step_complete", p -> p.path("stepId").asText() + "=" + p.path("status").asText()))
                .containsExactly("first=success", "tolerated=failed", "stop=failed");
        assertThat(payloads(events, "step_complete", p -> p.path("error").asText("")))
                .contains("this one is tolerated", "gave up on everyone");
        assertThat(payloads(events, "step_start", p -> p.path("stepId").asText())).doesNotContain("never");
        assertThat(run.path("steps").get(3).path("status").asText()).isEqualTo("pending");
        JsonNode complete = events.get(events.size() - 1).path("payload");
        assertThat(complete.path("status").asText()).isEqualTo("failed");
        assertThat(complete.path("error").asText()).contains("gave up on everyone");
    }

    @Test
    void retriesTimeoutsAndConditions(@TempDir Path scratch) {
        server.apply(Yaml.fixture("it-retry.yaml"));
        String counter = scratch.resolve("counter").toString();
        String runId = server.execute("retrying", "{\"counter\": \"" + counter + "\"}");
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(events.stream().filter(e -> e.path("type").asText().equals("step_start")
                && e.path("payload").path("stepId").asText().equals("flaky")).map(e -> e.path("payload").path("attempt").asInt()))
                .containsExactly(1, 2, 3);
        assertThat(payloads(events, "step_log", p -> p.path("message").asText()))
                .contains("try 1", "try 2", "try 3")
                .anySatisfy(m -> assertThat(m).startsWith("attempt 1 of 3 failed: exited with code 1; retrying in"));
        JsonNode flaky = run.path("steps").get(0);
        assertThat(flaky.path("status").asText()).isEqualTo("success");
        assertThat(flaky.path("attempt").asInt()).isEqualTo(3);

        JsonNode slow = run.path("steps").get(1);
        assertThat(slow.path("status").asText()).isEqualTo("failed");
        assertThat(slow.path("error").asText()).isEqualTo("timed out after 200ms");
        assertThat(slow.path("duration").asLong()).isLessThan(5000);

        assertThat(run.path("steps").get(2).path("status").asText()).isEqualTo("skipped");
        assertThat(run.path("steps").get(3).path("status").asText()).isEqualTo("success");
        assertThat(payloads(events, "step_start", p -> p.path("stepId").asText())).doesNotContain("skipped");
    }

    @Test
    void httpStepsFailOnUnexpectedStatusAndOnTheirTimeout() {
        server.apply("""
                id: http-failures
                inputs:
                  base: {type: string, required: true}
                steps:
                  - id: missing
                    type: http
                    url: "${inputs.base}/missing"
                    continueOnError: true
                  - id: expected
                    type: http
                    url: "${inputs.base}/missing"
                    expectStatus: [404]
                  - id: slow
                    type: http
                    url: "${inputs.base}/slow"
                    timeout: 300ms
                """);
        String runId = server.execute("http-failures", "{\"base\": \"" + targetUrl() + "\"}");
        JsonNode run = server.awaitEnd(runId);
        assertThat(run.path("steps").get(0).path("status").asText()).isEqualTo("failed");
        assertThat(run.path("steps").get(0).path("error").asText()).isEqualTo("status 404");
        assertThat(run.path("steps").get(1).path("status").asText()).isEqualTo("success");
        assertThat(run.path("steps").get(2).path("status").asText()).isEqualTo("failed");
        assertThat(run.path("steps").get(2).path("duration").asLong()).isLessThan(2500);
        assertThat(run.path("status").asText()).isEqualTo("failed");
    }

    @Test
    void anExpressionThatFailsFailsItsStepNamingTheExpression() {
        server.apply("""
                id: bad-expression
                steps:
                  - id: divide
                    type: log
                    message: "${vars.missing.deeper.still}"
                """);
        String runId = server.execute("bad-expression", null);
        JsonNode run = server.awaitEnd(runId);
        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(run.path("steps").get(0).path("error").asText()).contains("vars.missing.deeper.still");
    }

    @Test
    void expressionsCannotReachTheHost() {
        for (String expression : List.of("${''.getClass()}", "${''.class}", "${inputs.class}",
                "${new('java.io.File', '/')}")) {
            TestServer.Response response = server.putJson("/api/v2/workflows/sneaky",
                    "{\"steps\": [{\"id\": \"a\", \"type\": \"log\", \"message\": " + Json.text(expression) + "}]}");
            if (response.status() == 422) {
                assertThat(response.text()).as(expression).contains("steps[0].message");
                continue;
            }
            // Accepted at registration: then it must fail when it runs, reaching nothing.
            assertThat(response.status()).as(expression + ": " + response.text()).isIn(200, 201);
            String runId = server.execute("sneaky", null);
            JsonNode run = server.awaitEnd(runId);
            assertThat(run.path("status").asText()).as(expression).isEqualTo("failed");
            assertThat(run.toString()).doesNotContain("java.lang", "java.io");
        }
    }

    @Test
    void inputsAreCheckedAgainstTheirDeclaredTypes() {
        server.apply(Yaml.fixture("it-every-step.yaml"));
        TestServer.Response wrong = server.post("/api/v2/workflows/every-step/execute",
                "{\"inputs\": {\"times\": \"three\", \"extra\": 1}}");
        assertThat(wrong.status()).isEqualTo(422);
        assertThat(wrong.body().path("error").path("code").asText()).isEqualTo("invalid_inputs");
        List<String> paths = new java.util.ArrayList<>();
        wrong.body().path("error").path("details").forEach(p -> paths.add(p.path("path").asText()));
        assertThat(paths).contains("inputs.times", "inputs.extra", "inputs.target");

        assertThat(server.post("/api/v2/workflows/every-step/execute", "{not json").status()).isEqualTo(400);
        assertThat(server.post("/api/v2/workflows/every-step/execute", "[1]").status()).isEqualTo(400);
        String big = "{\"inputs\": {\"target\": \"" + "x".repeat(300 * 1024) + "\", \"times\": 1}}";
        assertThat(server.post("/api/v2/workflows/every-step/execute", big).status()).isEqualTo(413);
    }

    @Test
    void aLogMessageOver16KiBIsCutAndMarked() {
        server.apply("""
                id: long-line
                steps:
                  - id: print
                    type: script
                    run: "head -c 40000 /dev/zero | tr '\\\\0' a; echo"
                """);
        String runId = server.execute("long-line", null);
        server.awaitEnd(runId);
        JsonNode log = server.awaitHistory(runId).stream()
                .filter(e -> e.path("type").asText().equals("step_log")).findFirst().orElseThrow().path("payload");
        assertThat(log.path("truncated").asBoolean()).isTrue();
        assertThat(log.path("message").asText().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(16 * 1024);
        assertThat(log.path("message").asText()).startsWith("aaaa");
    }
}
