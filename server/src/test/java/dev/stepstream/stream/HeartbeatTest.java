package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
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
    @Test
    void aSilentClientThatReadsALongHistorySlowlyIsNotClosedAsIdle(@TempDir Path own) {
        // 10 MB of history read at about 2 MB/s: five idle timeouts, during which the client
        // sends nothing (not even a pong) but reads, and its socket stays full.
        try (TestServer scripts = TestServer.start(own, config -> config.withAllowScripts(true).withStreams(
                new StreamSettings(PING, IDLE, Duration.ofSeconds(10), Duration.ofSeconds(15))))) {
            scripts.apply("""
                    id: long-history
                    steps:
                      - {id: print, type: script, run: "awk 'BEGIN { s = sprintf(\\"%4000d\\", 0); for (i = 0; i < 2500; i++) print s }'"}
                    """);
            String runId = scripts.execute("long-history", null);
            long lastSeq = scripts.awaitEnd(runId).path("lastSeq").asLong();
            long start = System.nanoTime();
            try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connectSlow(scripts.port(),
                    "/api/v2/workflows/runs/" + runId + "/stream", 4096, 512_000)) { // about 2 MB/s
                Integer code = Await.until("the stream ends", Duration.ofSeconds(40), client::endedWith);
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertThat(elapsedMs).as("it read for longer than the idle timeout").isGreaterThan(2 * IDLE.toMillis());
                assertThat(code).as("closed with %d (%s) after %d ms and %d messages", code, client.closeReason(), elapsedMs,
                        client.texts()).isEqualTo(1000);
                assertThat(client.texts()).as("every event and caught_up").isEqualTo((int) lastSeq + 1);
            }
        }
    }

    /** The default timings (a ping after 54 s, closed after 60 s of silence), on a clock the test moves. */
    @Test
    void onTheDefaultTimingsASilentClientIsPingedAt54sAndClosedAt60sOfTheServersClock() {
        ManualClock clock = new ManualClock();
        try (TestServer defaults = TestServer.start(dir.resolve("manual-clock"), clock, config -> config)) {
            defaults.apply(Yaml.fixture("st-quiet.yaml"));
            String runId = defaults.execute("st-quiet", "{\"pause\": \"60s\"}");
            try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(defaults.port(),
                    "/api/v2/workflows/runs/" + runId + "/stream")) {
                Await.until("caught_up", Duration.ofSeconds(10),
                        () -> client.textMessages().stream().anyMatch(text -> text.contains("caught_up")) ? true : null);
                assertThat(client.pings()).isZero();

                clock.advance(Duration.ofSeconds(55));
                Await.until("the ping due at 54 s", Duration.ofSeconds(10), () -> client.pings() > 0 ? true : null);
                assertThat(client.ended()).as("55 s of silence is not yet 60").isFalse();

                clock.advance(Duration.ofSeconds(6));
                assertThat(Await.until("the close after 60 s of silence", Duration.ofSeconds(10), client::endedWith))
                        .isEqualTo(1001);
            } finally {
                defaults.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
            }
        }
    }
}
