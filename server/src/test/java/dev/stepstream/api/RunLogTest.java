package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v2/workflows/runs/{runId}/log}: a run's step_logs as text, exactly as docs/api.md writes them. */
@Timeout(120)
class RunLogTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply("""
                id: log-lines
                steps:
                  - {id: a, type: log, message: "first"}
                  - {id: b, type: log, level: warn, message: "two\\nlines"}
                  - {id: c, type: log, level: debug, message: "crlf\\r\\nend\\n"}
                  - {id: d, type: set, vars: {x: 1}}
                  - {id: e, type: log, level: error, message: "last  words\\ttabbed"}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String log(String runId, String query) {
        TestServer.Response response = server.get("/api/v2/workflows/runs/" + runId + "/log" + query);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.text();
    }

    /** Each step_log event as the line docs/api.md says: its envelope's time, step id, level in capitals, message. */
    private static String expected(List<JsonNode> events, String... stepIds) {
        StringBuilder text = new StringBuilder();
        for (JsonNode event : events) {
            JsonNode payload = event.path("payload");
            if (event.path("type").asText().equals("step_log") && List.of(stepIds).contains(payload.path("stepId").asText())) {
                text.append(event.path("time").asText()).append(' ').append(payload.path("stepId").asText()).append(' ')
                        .append(payload.path("level").asText().toUpperCase(java.util.Locale.ROOT)).append(' ');
                text.append(payload.path("message").asText().replace("\r\n", "\n").replace("\n", "\n  ")).append('\n');
            }
        }
        return text.toString();
    }

    @Test
    void eachLogLineIsTimeStepLevelAndMessageWithFurtherLinesIndentedByTwo() {
        String runId = server.execute("log-lines", null);
        server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        TestServer.Response response = server.get("/api/v2/workflows/runs/" + runId + "/log");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(response.header("Content-Disposition")).isEqualTo("attachment; filename=\"" + runId + ".log\"");
        String time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
        List<String> lines = response.text().lines().toList();
        assertThat(lines).hasSize(7);
        assertThat(lines.get(0)).matches(time + " a INFO first");
        assertThat(lines.get(1)).matches(time + " b WARN two");
        assertThat(lines.get(2)).isEqualTo("  lines");
        assertThat(lines.get(3)).matches(time + " c DEBUG crlf");
        assertThat(lines.get(4)).isEqualTo("  end");
        assertThat(lines.get(5)).isEqualTo("  ");
        assertThat(lines.get(6)).matches(time + " e ERROR last  words\ttabbed");
        assertThat(response.text()).isEqualTo(expected(events, "a", "b", "c", "e"));
    }

    @Test
    void stepsAndMinLevelKeepTheLinesAsked() {
        String runId = server.execute("log-lines", null);
        server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(log(runId, "?steps=b,e")).isEqualTo(expected(events, "b", "e"));
        assertThat(log(runId, "?minLevel=warn")).isEqualTo(expected(events, "b", "e"));
        assertThat(log(runId, "?minLevel=info&steps=a,c")).isEqualTo(expected(events, "a"));
        assertThat(log(runId, "?steps=d")).isEmpty();
    }

    @Test
    void anUnknownRunIs404AndABadIdOrParameterIs400NamingIt() {
        String unknown = UUID.randomUUID().toString();
        TestServer.Response missing = server.get("/api/v2/workflows/runs/" + unknown + "/log");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("error").path("code").asText()).isEqualTo("run_not_found");
        assertThat(missing.header("Content-Type")).startsWith("application/json");

        TestServer.Response notAUuid = server.get("/api/v2/workflows/runs/not-a-uuid/log");
        assertThat(notAUuid.status()).isEqualTo(400);
        assertThat(notAUuid.body().path("error").path("code").asText()).isEqualTo("invalid_run_id");

        String runId = server.execute("log-lines", null);
        server.awaitEnd(runId);
        TestServer.Response level = server.get("/api/v2/workflows/runs/" + runId + "/log?minLevel=loud");
        assertThat(level.status()).isEqualTo(400);
        assertThat(level.body().path("error").path("code").asText()).isEqualTo("invalid_parameter");
        assertThat(level.body().path("error").path("message").asText()).startsWith("minLevel: ").contains("\"loud\"");
        assertThat(level.body().path("error").path("details").path("parameter").asText()).isEqualTo("minLevel");
        for (String steps : List.of("a,,b", "a%20b")) {
            TestServer.Response bad = server.get("/api/v2/workflows/runs/" + runId + "/log?steps=" + steps);
            assertThat(bad.status()).as(steps).isEqualTo(400);
            assertThat(bad.body().path("error").path("message").asText()).as(steps).startsWith("steps: ");
        }
        TestServer.Response twice = server.get("/api/v2/workflows/runs/" + runId + "/log?minLevel=warn&minLevel=info");
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.body().path("error").path("message").asText()).isEqualTo("minLevel: given more than once");
    }

    /** The same parameter rules as the stream's: one place checks both. */
    @Test
    void theStreamsParametersAreCheckedByTheSameRules() {
        String runId = server.execute("log-lines", null);
        server.awaitEnd(runId);
        for (String query : List.of("minLevel=loud", "steps=a,,b", "steps=a%20b")) {
            TestServer.Response log = server.get("/api/v2/workflows/runs/" + runId + "/log?" + query);
            TestServer.Response sse = server.send(server.request("/api/v2/workflows/runs/" + runId + "/events?" + query)
                    .header("Accept", "text/event-stream").GET());
            assertThat(log.status()).as(query).isEqualTo(400);
            assertThat(log.text()).as(query).isEqualTo(sse.text());
        }
    }

    /** 20,000 lines, more than many pages of the store: all of them come, in order, once, as they are read. */
    @Test
    void aLongLogComesWholeAndInOrder() throws Exception {
        server.apply("""
                id: log-flood
                steps:
                  - {id: print, type: script, run: "seq 1 20000"}
                  - {id: after, type: log, message: done}
                """);
        String runId = server.execute("log-flood", null);
        assertThat(server.awaitEnd(runId, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("success");

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> response = http.send(server.request("/api/v2/workflows/runs/" + runId + "/log").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Transfer-Encoding")).as("streamed, not buffered").hasValue("chunked");
        int count = 0;
        String last = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                count++;
                if (count <= 20_000 && !line.endsWith(" print INFO " + count)) {
                    throw new AssertionError("line " + count + " is " + line);
                }
                last = line;
            }
        }
        assertThat(count).isEqualTo(20_001);
        assertThat(last).endsWith(" after INFO done");
    }

    /** A run still going: its log is what was stored when the request came, and the response ends. */
    @Test
    void theLogOfARunStillGoingIsWhatWasStoredAndEnds() {
        server.apply("""
                id: log-waits
                steps:
                  - {id: a, type: log, message: before}
                  - {id: gate, type: approval, message: "go on?"}
                  - {id: b, type: log, message: after}
                """);
        String runId = server.execute("log-waits", null);
        Await.until("the run waits", Duration.ofSeconds(20),
                () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);

        assertThat(log(runId, "")).endsWith(" a INFO before\n").doesNotContain("after");
        server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        server.awaitEnd(runId);
    }
}
