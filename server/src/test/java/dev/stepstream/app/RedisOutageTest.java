package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes (in this JVM) on one PostgreSQL and the machine's Redis, which goes away in the middle of a run. */
@Timeout(120)
class RedisOutageTest {
    @TempDir
    Path dir;

    private static TestServer node(Path dataDir, Postgres postgres, String nodeId) {
        return TestServer.start(dataDir, config -> config.withDb(postgres.url()).withRedis(Redis.URL)
                .withCluster(new ClusterSettings(nodeId, Duration.ofSeconds(3), Duration.ofMillis(200))));
    }

    @Test
    void whileRedisIsDownStreamsOnEveryNodeGoOnFromTheStoreAndReadyzSaysSo() throws Exception {
        Redis.require();
        Path gate = dir.resolve("gate");
        HttpClient http = HttpClient.newHttpClient();
        try (Postgres postgres = Postgres.schema();
             TestServer a = node(dir.resolve("a"), postgres, "outage-a");
             TestServer b = node(dir.resolve("b"), postgres, "outage-b")) {
            a.apply("""
                    id: gated
                    steps:
                      - id: talk
                        type: script
                        run: 'while [ ! -f %s ]; do sleep 0.05; done; for i in $(seq 1 20); do echo "line $i"; done'
                    """.formatted(gate));
            String runId = a.execute("gated", null);
            List<WsClient> streams = List.of(WsClient.connect(http, a.streamUrl(runId, "")),
                    WsClient.connect(http, b.streamUrl(runId, "")));
            streams.forEach(stream -> stream.awaitType("caught_up"));
            assertThat(b.get("/readyz").status()).isEqualTo(200);

            try {
                Redis.stop();
                for (TestServer node : List.of(a, b)) {
                    TestServer.Response ready = Await.until("/readyz says Redis is down", Duration.ofSeconds(20), () -> {
                        TestServer.Response response = node.get("/readyz");
                        return response.status() == 503 ? response : null;
                    });
                    assertThat(ready.body().path("error").path("code").asText()).isEqualTo("not_ready");
                    assertThat(ready.body().path("error").path("details").path("broker").asText()).startsWith("down: not connected to Redis at ");
                    assertThat(ready.body().path("error").path("details").path("store").asText()).isEqualTo("up");
                }
                Files.writeString(gate, "open");

                List<String> history = a.awaitRawHistory(runId);
                for (WsClient stream : streams) {
                    assertThat(stream.awaitClose().code()).as(stream.uri().toString()).isEqualTo(1000);
                    assertThat(stream.envelopeTexts()).as(stream.uri().toString()).containsExactlyElementsOf(history);
                }
                assertThat(history).hasSize(1 + 1 + 20 + 1 + 1);
                assertThat(Scrape.of(a).value("stepstream_broker_publish_failures_total")
                        + Scrape.of(b).value("stepstream_broker_publish_failures_total"))
                        .as("batches committed while Redis was down, counted as failed publishes").isPositive();
            } finally {
                Redis.start();
            }
            Await.until("/readyz is 200 again", Duration.ofSeconds(20), () -> b.get("/readyz").status() == 200 ? true : null);
        }
    }
}
