package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server's own log, as {@code serve} writes it (a child process with the real logback.xml,
 * not the tests' one): one line per request and per stream, in text or JSON, never with a
 * token in it.
 */
@Timeout(120)
class LoggingTest {
    /** The production logging configuration, which the child uses instead of logback-test.xml. */
    static final List<String> REAL_LOGGING = List.of("-Dlogback.configurationFile="
            + java.util.Objects.requireNonNull(LoggingTest.class.getClassLoader().getResource("logback.xml"), "logback.xml"));

    private static final String WORKFLOW = "id: talk\nsteps:\n  - {id: say, type: log, message: \"echo me please\"}\n";

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    /** Requests and a stream that carry a token in every place a client may put one. Returns the run id. */
    private String visitWithTokens(String url) throws Exception {
        send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/talk")).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(WORKFLOW)));
        JsonNode started = Json.MAPPER.readTree(send(HttpRequest.newBuilder(
                        URI.create(url + "/api/v2/workflows/talk/execute?access_token=SECRET-QUERY-1"))
                .header("Authorization", "Bearer SECRET-HEADER")
                .POST(HttpRequest.BodyPublishers.noBody())));
        String runId = started.path("runId").asText();
        Await.until("the run ends", Duration.ofSeconds(30), () -> {
            String run = send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/runs/" + runId
                    + "?access_token=SECRET-QUERY-2&x=1")).header("Authorization", "Bearer SECRET-HEADER"));
            return run.contains("\"status\":\"success\"") ? run : null;
        });
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        http.newWebSocketBuilder()
                .subprotocols("stepstream.v2", "stepstream.bearer.SECRET-PROTOCOL")
                .buildAsync(URI.create(url.replaceFirst("^http", "ws") + "/api/v2/workflows/runs/" + runId
                        + "/stream?access_token=SECRET-QUERY-3"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        assertThat(closed.get(30, TimeUnit.SECONDS)).isEqualTo(1000);
        try (WsClient plain = WsClient.connect(http, URI.create(url.replaceFirst("^http", "ws") + "/api/v2/workflows/runs/"
                + runId + "/stream"))) {
            assertThat(plain.awaitClose().code()).isEqualTo(1000);
        }
        return runId;
    }

    private String send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void jsonLinesSayWhoWhatHowLongAndHowItEndedWithoutAnyToken() throws Exception {
        try (ChildServer server = ChildServer.start(dir, REAL_LOGGING, "--log-format", "json", "--echo-step-logs")) {
            String runId = visitWithTokens(server.url());
            List<JsonNode> lines = Await.until("both streams are logged", Duration.ofSeconds(10), () -> {
                List<JsonNode> logged = jsonLines(server.output());
                return logged.stream().filter(line -> "stream".equals(kv(line, "kind"))).count() == 2 ? logged : null;
            });

            assertThat(server.output()).as(server.output()).doesNotContain("SECRET");
            assertThat(lines).allSatisfy(line -> {
                assertThat(line.path("level").asText()).isNotEmpty();
                assertThat(line.path("loggerName").asText()).isNotEmpty();
                assertThat(line.path("timestamp").asLong()).isPositive();
            });

            JsonNode execute = only(lines, line -> "http".equals(kv(line, "kind")) && kv(line, "request").contains("/execute"));
            assertThat(kv(execute, "request")).isEqualTo("POST /api/v2/workflows/talk/execute?access_token=[redacted]");
            assertThat(kv(execute, "status")).isEqualTo("202");
            assertThat(kv(execute, "client")).startsWith("127.0.0.1:");
            assertThat(kv(execute, "durationMs")).matches("\\d+");
            assertThat(execute.path("formattedMessage").asText()).contains("POST", "202", " ms");
            assertThat(lines).filteredOn(line -> kv(line, "request").contains("/runs/" + runId + "?"))
                    .isNotEmpty()
                    .allSatisfy(line -> assertThat(kv(line, "request")).endsWith("?access_token=[redacted]&x=1"));

            JsonNode tokenStream = only(lines, line -> "stream".equals(kv(line, "kind")) && kv(line, "request").contains("access_token"));
            assertThat(kv(tokenStream, "request")).contains("/stream?access_token=[redacted]", "stepstream.bearer.[redacted]");
            assertThat(kv(tokenStream, "close")).isEqualTo("1000 by server");
            assertThat(kv(tokenStream, "transport")).isEqualTo("websocket");
            assertThat(Long.parseLong(kv(tokenStream, "events"))).isPositive();

            JsonNode echoed = only(lines, line -> line.path("loggerName").asText().equals("stepstream.steps"));
            assertThat(echoed.path("formattedMessage").asText()).contains(runId, "say", "echo me please");
        }
    }

    @Test
    void textLinesCarryNoTokenEither() throws Exception {
        try (ChildServer server = ChildServer.start(dir, REAL_LOGGING)) {
            visitWithTokens(server.url());
            Await.until("both streams are logged", Duration.ofSeconds(10),
                    () -> server.output().lines().filter(line -> line.contains("close 1000 by server")).count() == 2 ? true : null);
            String output = server.output();
            assertThat(output).as(output).doesNotContain("SECRET");
            assertThat(output).contains("POST /api/v2/workflows/talk/execute?access_token=[redacted] 202 ",
                    "(protocols stepstream.v2, stepstream.bearer.[redacted])");
            assertThat(output).as("step logs are echoed only when asked").doesNotContain("echo me please");
            assertThat(output).as("the real logback.xml is in use, and parses").contains("Z INFO  stepstream.access - ")
                    .doesNotContain("ERROR in ch.qos.logback").doesNotContain("JoranException");
        }
    }

    /**
     * A step's output echoed to the log is a workflow's text: a line feed in it does not make a
     * log line of its own, and an escape sequence reaches no terminal that shows the log.
     */
    @Test
    void echoedStepLogsAreOneLineOfPlainTextEach() throws Exception {
        try (ChildServer server = ChildServer.start(dir, REAL_LOGGING, "--echo-step-logs")) {
            send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/forge")).header("Content-Type", "application/yaml")
                    .PUT(HttpRequest.BodyPublishers.ofString("id: forge\ninputs:\n  who: {type: string}\nsteps:\n"
                            + "  - {id: say, type: log, message: \"hello ${inputs.who}\"}\n")));
            String forged = "2026-12-06T00:00:00.000Z WARN  d.s.security.Credentials - tokens file read again: 0 tokens";
            String body = Json.MAPPER.writeValueAsString(java.util.Map.of("inputs", java.util.Map.of("who",
                    "x\n" + forged + "\u001b]0;pwned\u0007 end")));
            String runId = Json.MAPPER.readTree(send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/forge/execute"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)))).path("runId").asText();
            String echoed = Await.until("the step's line is echoed", Duration.ofSeconds(30), () -> server.output().lines()
                    .filter(line -> line.contains("stepstream.steps") && line.contains(runId)).findFirst().orElse(null));

            assertThat(echoed).endsWith("say info: hello x\\n" + forged + "\\u001b]0;pwned\\u0007 end");
            assertThat(server.output().lines()).as("no line of the log begins with the forged text").noneMatch(line -> line.startsWith(forged));
            assertThat(server.output()).doesNotContain("\u001b").doesNotContain("\u0007");
        }
    }

    /**
     * Vert.x decodes a query parameter's name, so {@code ?%61ccess_token=} and
     * {@code ?access%5Ftoken=} carry a token that authenticates: the access log's lines and the
     * streams' lines, which echo the URI, must redact it as well as the plain spelling.
     */
    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void aTokenUnderAPercentEncodedParameterNameIsNeverLogged(String format) throws Exception {
        Path tokens = dir.resolve("tokens");
        String token = TokenFile.create(tokens, "reader", Role.ADMIN);
        try (ChildServer server = ChildServer.start(dir, REAL_LOGGING, "--log-format", format, "--tokens-file", tokens.toString())) {
            String url = server.url();
            send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/talk")).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(WORKFLOW)));
            String runId = Json.MAPPER.readTree(send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/talk/execute"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()))).path("runId").asText();
            for (String name : List.of("%61ccess_token", "access%5Ftoken")) {
                String query = "?" + name + "=" + token;
                Await.until("the run ends", Duration.ofSeconds(30), () -> {
                    String run = send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/runs/" + runId + query)));
                    assertThat(run).as("%s authenticates", name).contains("\"runId\"");
                    return run.contains("\"status\":\"success\"") ? run : null;
                });
                try (WsClient stream = WsClient.connect(http, URI.create(url.replaceFirst("^http", "ws") + "/api/v2/workflows/runs/"
                        + runId + "/stream" + query))) {
                    assertThat(stream.awaitClose().code()).isEqualTo(1000);
                }
                HttpResponse<String> sse = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v2/workflows/runs/" + runId
                        + "/events" + query)).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(sse.statusCode()).isEqualTo(200);
                assertThat(sse.body()).contains("run_complete");
            }
            String output = Await.until("the four streams are logged", Duration.ofSeconds(10),
                    () -> server.output().lines().filter(line -> line.contains("close 1000 by server")).count() == 4 ? server.output() : null);
            assertThat(output).as(output).doesNotContain(token).doesNotContain(token.substring(3, 20))
                    .contains("?%61ccess_token=[redacted]", "?access%5Ftoken=[redacted]");
        }
    }

    private static List<JsonNode> jsonLines(String output) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{")) {
                try {
                    lines.add(Json.MAPPER.readTree(line));
                } catch (IOException e) {
                    throw new AssertionError("a log line that is not JSON: " + line);
                }
            } else if (!line.isBlank() && !line.startsWith("stepstream listening on") && !line.startsWith("WARNING:")) {
                throw new AssertionError("a log line that is not JSON: " + line);
            }
        }
        return lines;
    }

    /** The value of a key-value pair of a JSON log line, as text ("" when it has none). */
    private static String kv(JsonNode line, String key) {
        for (JsonNode pair : line.path("kvpList")) {
            if (pair.has(key)) {
                return pair.path(key).asText();
            }
        }
        return "";
    }

    private static JsonNode only(List<JsonNode> lines, java.util.function.Predicate<JsonNode> which) {
        List<JsonNode> found = lines.stream().filter(which).toList();
        assertThat(found).as("exactly one such line in %s", lines).hasSize(1);
        return found.get(0);
    }
}
