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
 * dashboards hear of it.
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

            // Dashboards hear of it on the node that deleted it and, through Redis, on every node.
            // (Without Redis another node's dashboards are told at best of a run it serves a stream
            // of, when its poll finds the run gone, and without the workflow: docs/api.md.)
            List<WsClient> told = redis ? List.of(here, there) : List.of(here);
            for (WsClient dashboard : told) {
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
