package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.stream.StreamSettings;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two nodes on one PostgreSQL, with Redis and without: a run deleted through one node ends the
 * stream that another node serves of it (told through Redis, or found by that node's poll), and
 * every node's dashboards hear of it.
 */
@Timeout(240)
class RunDeletionClusterTest {
    static final int LINES = 100_000;
    final HttpClient http = HttpClient.newHttpClient();

    @ParameterizedTest(name = "with Redis: {0}")
    @ValueSource(booleans = {true, false})
    void aRunDeletedThroughOneNodeEndsItsStreamOnAnother(boolean redis, @org.junit.jupiter.api.io.TempDir Path dir) {
        if (redis) {
            Redis.require();
        }
        try (Postgres postgres = Postgres.schema();
             TestServer a = node(dir, "node-a", postgres, redis);
             TestServer b = node(dir, "node-b", postgres, redis)) {
            a.apply(Yaml.fixture("st-flood.yaml"));
            String runId = a.execute("st-flood", "{\"lines\": " + LINES + "}");
            assertThat(a.awaitEnd(runId, Duration.ofSeconds(180)).path("status").asText()).isEqualTo("success");
            WsClient stalled = WsClient.connect(http, b.streamUrl(runId, ""), 5);
            stalled.awaitMessages("the first frames", messages -> messages.size() >= 5, Duration.ofSeconds(30));
            WsClient here = WsClient.connect(http, a.wsUrl("/api/v2/stream"));
            WsClient there = WsClient.connect(http, b.wsUrl("/api/v2/stream?workflowId=st-flood"));

            TestServer.Response deleted = a.delete("/api/v2/workflows/runs/" + runId);
            assertThat(deleted.status()).as(deleted.text()).isEqualTo(204);
            stalled.resume();

            // Dashboards hear of it, once and with its workflow, on the node that deleted it and on
            // every other node: through Redis, or from the store's log of deletions that a node
            // without Redis polls.
            for (WsClient dashboard : List.of(here, there)) {
                dashboard.awaitMessages("run_deleted", messages -> !messages.isEmpty(), Duration.ofSeconds(60));
                assertThat(dashboard.messages()).extracting(m -> m.json().path("type").asText() + " " + m.json().path("runId").asText()
                        + " " + m.json().path("payload").path("workflowId").asText()).containsExactly("run_deleted " + runId + " st-flood");
            }
            here.close();
            there.close();

            WsClient.Close close = stalled.awaitClose(Duration.ofSeconds(60));
            assertThat(close.code()).as("%s", close).isEqualTo(1000);
            assertThat(close.reason()).isEqualTo("run deleted");
            assertThat(stalled.envelopes()).hasSizeLessThan(LINES)
                    .noneSatisfy(envelope -> assertThat(envelope.path("type").asText()).isEqualTo("run_complete"));
            assertThat(b.get("/api/v2/workflows/runs/" + runId).status()).isEqualTo(404);
        }
    }

    /**
     * The dashboards of a node that never followed the runs: before the store kept a log of
     * deletions, one without Redis was not told at all. Each deletion once: a node without Redis
     * reads a deletion again at each poll for seconds, so a second told would come before the
     * next deletion's first.
     */
    @ParameterizedTest(name = "with Redis: {0}")
    @ValueSource(booleans = {true, false})
    void everyNodesDashboardsAreToldOnceOfARunDeletedThroughAnother(boolean redis, @org.junit.jupiter.api.io.TempDir Path dir) {
        if (redis) {
            Redis.require();
        }
        try (Postgres postgres = Postgres.schema();
             TestServer a = node(dir, "node-a", postgres, redis);
             TestServer b = node(dir, "node-b", postgres, redis)) {
            a.apply(Yaml.fixture("st-dashboard.yaml"));
            a.apply(Yaml.fixture("st-quiet.yaml"));
            List<String> runIds = new java.util.ArrayList<>();
            for (String workflow : List.of("st-dashboard", "st-quiet", "st-dashboard")) {
                String runId = a.execute(workflow, workflow.equals("st-quiet") ? "{\"pause\": \"1ms\"}" : "{}");
                assertThat(a.awaitEnd(runId).path("status").asText()).isEqualTo("success");
                runIds.add(runId);
            }
            WsClient local = WsClient.connect(http, a.wsUrl("/api/v2/stream")); // told at once, and then by its own polls
            WsClient every = WsClient.connect(http, b.wsUrl("/api/v2/stream"));
            WsClient filtered = WsClient.connect(http, b.wsUrl("/api/v2/stream?workflowId=st-dashboard"));

            for (int i = 0; i < runIds.size(); i++) {
                assertThat(a.delete("/api/v2/workflows/runs/" + runIds.get(i)).status()).isEqualTo(204);
                int told = i + 1;
                for (WsClient dashboard : List.of(local, every)) {
                    dashboard.awaitMessages("run_deleted " + told, messages -> deletions(messages).size() >= told, Duration.ofSeconds(30));
                }
            }
            filtered.awaitMessages("both st-dashboard deletions", messages -> deletions(messages).size() >= 2, Duration.ofSeconds(30));

            for (WsClient dashboard : List.of(local, every)) {
                assertThat(deletions(dashboard.messages())).containsExactly(
                        runIds.get(0) + " st-dashboard", runIds.get(1) + " st-quiet", runIds.get(2) + " st-dashboard");
            }
            assertThat(deletions(filtered.messages())).containsExactly(runIds.get(0) + " st-dashboard", runIds.get(2) + " st-dashboard");
            local.close();
            every.close();
            filtered.close();
        }
    }

    /** The run_deleted messages' runs and workflows, in order. */
    private static List<String> deletions(List<WsClient.Message> messages) {
        return messages.stream().filter(m -> m.json().path("type").asText().equals("run_deleted"))
                .map(m -> m.json().path("runId").asText() + " " + m.json().path("payload").path("workflowId").asText()).toList();
    }

    private static TestServer node(Path dir, String nodeId, Postgres postgres, boolean redis) {
        // A stalled reader is closed with 1013 after the write timeout: longer than this test holds one.
        StreamSettings patient = new StreamSettings(StreamSettings.DEFAULTS.pingInterval(), StreamSettings.DEFAULTS.idleTimeout(),
                Duration.ofSeconds(120), StreamSettings.DEFAULTS.sseKeepAlive());
        return TestServer.start(dir.resolve(nodeId), config -> {
            Config shared = config.withDb(postgres.url()).withStreams(patient)
                    .withCluster(new ClusterSettings(nodeId, Duration.ofSeconds(15), Duration.ofMillis(300)));
            return redis ? shared.withRedis(Redis.URL) : shared;
        });
    }
}
