package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's stream: run-level events of every run, live, optionally of one workflow. */
@Timeout(60)
class AllRunsStreamTest {
    static final Set<String> RUN_LEVEL = Set.of("run_queued", "run_start", "run_progress", "run_complete");

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    private static List<JsonNode> of(WsClient client, String runId) {
        return client.messages().stream().map(WsClient.Message::json).filter(m -> m.path("runId").asText().equals(runId)).toList();
    }

    private static boolean completed(WsClient client, List<String> runIds) {
        return runIds.stream().allMatch(runId -> of(client, runId).stream()
                .anyMatch(m -> m.path("type").asText().equals("run_complete")));
    }

    /** What the all-runs stream says of one run, against the run's history. */
    private static void assertFollows(WsClient client, String runId, List<JsonNode> history) {
        List<JsonNode> seen = of(client, runId);
        assertThat(seen).extracting(m -> m.path("type").asText()).as("run %s: %s", runId, seen).allMatch(RUN_LEVEL::contains);
        assertThat(seen.get(0).path("type").asText()).as("first of %s", seen).isEqualTo("run_queued");
        JsonNode runStart = history.get(0);
        JsonNode runComplete = history.get(history.size() - 1);
        assertThat(seen.get(0).path("payload").path("trigger")).as("run_queued says what started the run, as run_start does")
                .isEqualTo(runStart.path("payload").path("trigger")).isNotEmpty();
        assertThat(seen.stream().filter(m -> m.path("type").asText().equals("run_start")).toList())
                .as("run_start with its per-run seq, as the history has it").containsExactly(runStart);
        assertThat(seen.stream().filter(m -> m.path("type").asText().equals("run_complete")).toList())
                .as("run_complete with its per-run seq, as the history has it").containsExactly(runComplete);
        assertThat(seen.get(seen.size() - 1)).isEqualTo(runComplete);
        assertThat(seen.indexOf(runStart)).isLessThan(seen.indexOf(runComplete));

        List<JsonNode> progress = seen.stream().filter(m -> m.path("type").asText().equals("run_progress")).toList();
        assertThat(progress).extracting(p -> p.path("payload").path("stepId").asText() + "=" + p.path("payload").path("status").asText())
                .as("one run_progress per step_complete, in order")
                .containsExactlyElementsOf(TestServer.payloads(history, "step_complete",
                        p -> p.path("stepId").asText() + "=" + p.path("status").asText()));
        assertThat(progress).allSatisfy(p -> assertThat(p.path("runId").asText()).isEqualTo(runId));
    }

    @Test
    void theAllRunsStreamSeesQueuedStartProgressAndCompleteOfConcurrentRunsAndCanBeNarrowedToOneWorkflow() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-dashboard.yaml"));
            server.apply(Yaml.fixture("st-dashboard-other.yaml"));
            try (WsClient all = WsClient.connect(http, server.wsUrl("/api/v2/stream"));
                 WsClient narrowed = WsClient.connect(http, server.wsUrl("/api/v2/stream?workflowId=st-dashboard"))) {
                List<String> runs = List.of(server.execute("st-dashboard", null), server.execute("st-dashboard", null),
                        server.execute("st-dashboard", null));
                String other = server.execute("st-dashboard-other", null);
                List<String> every = List.of(runs.get(0), runs.get(1), runs.get(2), other);

                all.awaitMessages("every run's run_complete", m -> completed(all, every), Duration.ofSeconds(30));
                narrowed.awaitMessages("the narrowed runs' run_complete", m -> completed(narrowed, runs), Duration.ofSeconds(30));

                for (String runId : every) {
                    assertFollows(all, runId, server.awaitHistory(runId));
                }
                for (String runId : runs) {
                    assertFollows(narrowed, runId, server.awaitHistory(runId));
                }
                assertThat(of(narrowed, other)).as("a run of another workflow").isEmpty();
                assertThat(all.messages()).as("only run-level events, no history")
                        .allSatisfy(m -> assertThat(RUN_LEVEL).contains(m.type()));
                assertThat(all.isClosed()).as("the all-runs stream stays open: %s", all.closeNow()).isFalse();
            }
        }
    }

    private static JsonNode deletedNotice(String runId, String workflowId) {
        ObjectNode notice = Json.object().put("type", "run_deleted").put("runId", runId);
        notice.set("payload", Json.object().put("workflowId", workflowId));
        return notice;
    }

    @Test
    void aDashboardIsToldWhenARunIsDeletedOnlyIfItFollowsThatRunsWorkflow() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-dashboard.yaml"));
            server.apply(Yaml.fixture("st-dashboard-other.yaml"));
            String run = server.execute("st-dashboard", null);
            String other = server.execute("st-dashboard-other", null);
            server.awaitEnd(run, Duration.ofSeconds(30));
            server.awaitEnd(other, Duration.ofSeconds(30));
            try (WsClient all = WsClient.connect(http, server.wsUrl("/api/v2/stream"));
                 WsClient narrowed = WsClient.connect(http, server.wsUrl("/api/v2/stream?workflowId=st-dashboard-other"))) {
                assertThat(server.delete("/api/v2/workflows/runs/" + run).status()).isEqualTo(204);
                assertThat(server.delete("/api/v2/workflows/runs/" + other).status()).isEqualTo(204);

                all.awaitMessages("both deletions", m -> of(all, other).size() == 1, Duration.ofSeconds(20));
                narrowed.awaitMessages("the other workflow's deletion", m -> of(narrowed, other).size() == 1, Duration.ofSeconds(20));
                assertThat(all.messages()).extracting(WsClient.Message::json)
                        .containsExactly(deletedNotice(run, "st-dashboard"), deletedNotice(other, "st-dashboard-other"));
                assertThat(narrowed.messages()).as("the first deletion, of another workflow, came before: not to this one")
                        .extracting(WsClient.Message::json).containsExactly(all.messages().get(1).json());
            }
        }
    }

    @Test
    void aDashboardIsToldWhenARunWaitsForADecisionAndWhenItGoesOn() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply("""
                    id: st-gated
                    steps:
                      - {id: gate, type: approval, message: "go?"}
                      - {id: after, type: log, message: through}
                    """);
            try (WsClient all = WsClient.connect(http, server.wsUrl("/api/v2/stream"))) {
                String runId = server.execute("st-gated", null);
                all.awaitMessages("the run's wait", m -> of(all, runId).stream().anyMatch(e -> e.path("type").asText().equals("run_progress")
                        && e.path("payload").path("status").asText().equals("waiting")), Duration.ofSeconds(20));
                assertThat(server.post("/api/v2/workflows/runs/" + runId + "/steps/gate/approve", "").status()).isEqualTo(202);
                all.awaitMessages("the run's end", m -> completed(all, List.of(runId)), Duration.ofSeconds(20));

                assertThat(of(all, runId)).extracting(e -> e.path("type").asText() + " " + e.path("payload").path("stepId").asText()
                        + " " + e.path("payload").path("status").asText()).containsExactly(
                        "run_queued  ", "run_start  ", "run_progress gate waiting", "run_progress gate success",
                        "run_progress after success", "run_complete  success");
            }
        }
    }
}
