package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liveness with short timings (a ping every 200 ms, idle after 1 s): a client whose pongs
 * arrive stays connected however quiet it is; one from which nothing arrives is closed.
 */
@Timeout(60)
class HeartbeatTest {
    static final Duration PING = Duration.ofMillis(200);
    static final Duration IDLE = Duration.ofSeconds(1);

    @TempDir
    static Path dir;
    static TestServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withStreams(
                new StreamSettings(PING, IDLE, Duration.ofSeconds(10), Duration.ofSeconds(15))));
        server.apply(Yaml.fixture("st-quiet.yaml"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theServerPingsAndKeepsAClientThatSendsNothingButAnswersPingsOpenPastTheIdleTimeout() {
        String runId = server.execute("st-quiet", "{\"pause\": \"20s\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            client.awaitType("caught_up");
            // Ten pings at 200 ms apart span two idle timeouts; the JDK client answers each with a pong.
            Await.until("ten pings arrive (" + client.pings() + " so far)", Duration.ofSeconds(10),
                    () -> client.pings() >= 10 || client.isClosed() ? true : null);
            assertThat(client.isClosed()).as("closed although its pongs arrived: %s", client.closeNow()).isFalse();
            assertThat(client.pings()).isGreaterThanOrEqualTo(10);

            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            assertThat(client.awaitClose().code()).isEqualTo(1000);
        } finally {
            server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        }
    }

    @Test
    void aClientFromWhichNothingArrivesNotEvenAPongIsClosedAfterTheIdleTimeout() {
        String runId = server.execute("st-quiet", "{\"pause\": \"20s\"}");
        long start = System.nanoTime();
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(),
                "/api/v2/workflows/runs/" + runId + "/stream")) {
            Integer code = Await.until("the server closes the silent connection", Duration.ofSeconds(10), client::endedWith);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(client.pings()).as("pings it did not answer").isPositive();
            assertThat(client.texts()).as("the history and caught_up came first").isPositive();
            assertThat(elapsedMs).as("closed (code %d) only once the idle timeout passed", code)
                    .isGreaterThanOrEqualTo(IDLE.toMillis() - 100);
            // docs/api.md names no close code for an idle connection (a close frame or a dropped connection
            // both do), but 1000 would tell the client that the run ended, which it has not.
            assertThat(code).as("closed with %d (-1: no close frame)", code).isNotEqualTo(1000);
        } finally {
            server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        }
    }
}
