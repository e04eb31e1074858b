package dev.stepstream.stream;

import static dev.stepstream.stream.Envelopes.assertCaughtUpOnce;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The run stream's query parameters: filters that select events, and refusals before the upgrade. */
@Timeout(120)
class StreamParametersTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static final HttpClient http = HttpClient.newHttpClient();
    static String finishedRun;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply(Yaml.fixture("st-filters.yaml"));
        finishedRun = server.execute("st-filters", null);
        server.awaitEnd(finishedRun);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRunEvent(JsonNode envelope) {
        return Set.of("run_start", "run_complete").contains(envelope.path("type").asText());
    }

    /**
     * Streams a new run with {@code query} twice, live (connected during the run's opening pause)
     * and after it finished, and checks both against the history filtered by {@code selects}.
     */
    private static List<String> assertFilter(String query, Predicate<JsonNode> selects) {
        String runId = server.execute("st-filters", "{\"pause\": \"800ms\"}");
        try (WsClient live = WsClient.connect(http, server.streamUrl(runId, query))) {
            assertThat(live.awaitClose().code()).as("close after run_complete").isEqualTo(1000);
            List<String> history = server.awaitRawHistory(runId);
            List<String> expected = history.stream().filter(e -> selects.test(parse(e))).toList();
            assertThat(live.envelopeTexts()).as("live with %s", query).containsExactlyElementsOf(expected);
            assertCaughtUpOnce(live, runId, history.size());

            try (WsClient late = WsClient.connect(http, server.streamUrl(runId, query))) {
                assertThat(late.awaitClose().code()).as("close once the history is sent").isEqualTo(1000);
                assertThat(late.envelopeTexts()).as("finished run with %s", query).containsExactlyElementsOf(expected);
                assertCaughtUpOnce(late, runId, history.size());
            }
            return expected;
        }
    }

    @Test
    void typesSendsOnlyTheListedEventTypes() {
        List<String> sent = assertFilter("types=step_log,run_complete",
                e -> Set.of("step_log", "run_complete").contains(e.path("type").asText()));
        assertThat(sent).extracting(TestServer::typeOf).contains("step_log", "run_complete").doesNotContain("run_start");
    }

    @Test
    void aFinishedRunFilteredToStepLogsStillClosesWith1000OnceItsHistoryIsSent() {
        List<String> sent = assertFilter("types=step_log", e -> e.path("type").asText().equals("step_log"));
        assertThat(sent).extracting(e -> parse(e).path("payload").path("message").asText())
                .contains("a-info", "a-warn", "b-error", "c-debug", "e-warn");
    }

    @Test
    void minLevelWarnSendsOnlyWarnAndErrorLogsAndEveryOtherTypeUnchanged() {
        List<String> sent = assertFilter("minLevel=warn", e -> !e.path("type").asText().equals("step_log")
                || Set.of("warn", "error").contains(e.path("payload").path("level").asText()));
        assertThat(sent).extracting(e -> parse(e).path("payload").path("message").asText(""))
                .contains("a-warn", "b-error", "e-warn").doesNotContain("a-info", "c-debug");
        assertThat(sent).extracting(TestServer::typeOf).contains("run_start", "step_start", "variable_change", "step_complete");
    }

    @Test
    void stepsSendsStepEventsOfTheListedStepsOnlyAndRunEventsAlways() {
        List<String> sent = assertFilter("steps=a,b",
                e -> isRunEvent(e) || Set.of("a", "b").contains(e.path("payload").path("stepId").asText()));
        assertThat(sent).extracting(TestServer::typeOf).startsWith("run_start").endsWith("run_complete");
        assertThat(sent).extracting(e -> parse(e).path("payload").path("stepId").asText(""))
                .contains("a", "b").doesNotContain("wait", "c", "d", "e");
    }

    @Test
    void filtersCombine() {
        List<String> sent = assertFilter("types=step_log&steps=a&minLevel=warn",
                e -> e.path("type").asText().equals("step_log") && e.path("payload").path("stepId").asText().equals("a")
                        && e.path("payload").path("level").asText().equals("warn"));
        assertThat(sent).extracting(e -> parse(e).path("payload").path("message").asText()).containsExactly("a-warn");
    }

    /** A refusal before the upgrade: the status, and a JSON error body with a code and a message. */
    private static JsonNode assertRefused(String path, int status) {
        RawHttp.Answer answer = RawHttp.upgrade(server.port(), path);
        assertThat(answer.status()).as("%s: %s", path, answer.body()).isEqualTo(status);
        assertThat(answer.header("content-type")).as(path).startsWith("application/json");
        JsonNode error = answer.json().path("error");
        assertThat(error.path("code").isTextual()).as("%s: %s", path, answer.body()).isTrue();
        assertThat(error.path("message").asText()).as("%s: %s", path, answer.body()).isNotBlank();
        assertThat(answer.body()).as("no stack trace").doesNotContain("Exception", "\tat ");
        assertThat(WsClient.refusedStatus(http, server.wsUrl(path))).as("what a WebSocket client sees of " + path).isEqualTo(status);
        return error;
    }

    @ParameterizedTest
    @ValueSource(strings = {"after=-1", "after=x", "minLevel=loud", "types=nope", "batch=2"})
    void aBadParameterIsRefusedWith400AndAJsonErrorBeforeTheUpgrade(String query) {
        JsonNode error = assertRefused("/api/v2/workflows/runs/" + finishedRun + "/stream?" + query, 400);
        String parameter = query.substring(0, query.indexOf('='));
        assertThat(error.path("message").asText() + " " + error.path("details")).as("the error names the parameter")
                .contains(parameter);
    }

    @Test
    void aRunIdThatIsNotAUuidIsRefusedWith400BeforeTheUpgrade() {
        assertRefused("/api/v2/workflows/runs/not-a-uuid/stream", 400);
    }

    @Test
    void anUnknownRunIsRefusedWith404BeforeTheUpgrade() {
        JsonNode error = assertRefused("/api/v2/workflows/runs/" + UUID.randomUUID() + "/stream", 404);
        assertThat(error.path("code").asText()).isEqualTo("run_not_found");
    }
}
