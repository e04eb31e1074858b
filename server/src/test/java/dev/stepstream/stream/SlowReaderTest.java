package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stops reading while a script floods the run: it costs the reading clients
 * nothing, and it loses nothing (it reads on, or resumes with {@code after} after a 1013).
 */
@Timeout(180)
class SlowReaderTest {
    static final int LINES = 100_000;

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    /** Floods a run, with one client that stops reading after a few frames and one that reads on. */
    private record Flood(String runId, WsClient stalled, WsClient reader) {}

    private Flood flood(TestServer server) {
        server.apply(Yaml.fixture("st-flood.yaml"));
        String runId = server.execute("st-flood", "{\"lines\": " + LINES + "}");
        WsClient stalled = WsClient.connect(http, server.streamUrl(runId, ""), 5);
        WsClient reader = WsClient.connect(http, server.streamUrl(runId, ""));

        WsClient.Close readerClose = reader.awaitClose(Duration.ofSeconds(120));
        assertThat(readerClose.code()).as("the reading client reads the run to its end: %s", readerClose).isEqualTo(1000);
        assertThat(reader.envelopes()).last().satisfies(e -> assertThat(e.path("type").asText()).isEqualTo("run_complete"));
        assertThat(stalled.envelopes()).as("the stalled client has not got as far")
                .noneSatisfy(e -> assertThat(e.path("type").asText()).isEqualTo("run_complete"));
        assertThat(stalled.messageCount()).isLessThanOrEqualTo(6);
        return new Flood(runId, stalled, reader);
    }

    /**
     * Reads the stalled client on to its close, resuming with {@code after} after a 1013, or after
     * the connection dropped (it had not read on to the 1013 within the close timeout); returns
     * all it got.
     */
    private List<String> readOn(TestServer server, Flood flood, List<Integer> closes) {
        flood.stalled().resume();
        WsClient.Close close = flood.stalled().awaitClose(Duration.ofSeconds(120));
        closes.add(close.code());
        List<String> received = new ArrayList<>(flood.stalled().envelopeTexts());
        if (close.code() == 1013 || close.code() == 1006 || close.code() == -1) {
            long after = flood.stalled().lastSeq(0);
            try (WsClient resumed = WsClient.connect(http, server.streamUrl(flood.runId(), "after=" + after))) {
                WsClient.Close end = resumed.awaitClose(Duration.ofSeconds(120));
                closes.add(end.code());
                Envelopes.assertWellFormed(resumed.envelopes(), flood.runId(), after + 1);
                received.addAll(resumed.envelopeTexts());
            }
        }
        return received;
    }

    @Test
    void aClientThatStopsReadingDoesNotSlowAReaderAndGetsEverythingOnceItReadsAgain() {
        try (TestServer server = TestServer.start(dir)) {
            Flood flood = flood(server);
            List<String> history = server.awaitRawHistory(flood.runId());
            assertThat(flood.reader().envelopeTexts()).containsExactlyElementsOf(history);

            List<Integer> closes = new ArrayList<>();
            List<String> received = readOn(server, flood, closes);
            assertThat(closes).as("1000 after reading on, or 1013 then 1000 after resuming").isIn(List.of(1000), List.of(1013, 1000));
            if (!received.equals(history)) {
                assertThat(received).as("nothing lost, nothing duplicated").containsExactlyElementsOf(history);
            }
        }
    }

    /**
     * A client that reads nothing more but keeps sending pings (which count as heard from it) is
     * not kept for the idle timeout, or for ever: once it is closed with 1013 it has the close
     * timeout (the write timeout) to read on to that frame, then the connection ends.
     */
    @Test
    void aStalledClientThatKeepsPingingIsCutOffSoonAfterIts1013() {
        try (TestServer server = TestServer.start(dir, config -> config.withStreams(new StreamSettings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(15))))) {
            Flood flood = flood(server);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Throwable cutOff = null;
            while (cutOff == null) {
                assertThat(System.nanoTime() - deadline).as("the connection still takes pings 20 s after the flood").isNegative();
                try {
                    flood.stalled().sendText("{\"type\":\"ping\"}");
                    Thread.sleep(100); // the client's pace of pings, not a wait for the server
                } catch (java.util.concurrent.CompletionException e) {
                    cutOff = e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }

    @Test
    void aStalledClientPastTheWriteTimeoutIsClosedWith1013AndResumesWithAfterLosingNothing() {
        try (TestServer server = TestServer.start(dir, config -> config.withStreams(new StreamSettings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(15))))) {
            Flood flood = flood(server);
            List<String> history = server.awaitRawHistory(flood.runId());
            assertThat(flood.reader().envelopeTexts()).containsExactlyElementsOf(history);
            // The run may end before the stall has lasted the write timeout: the stalled client
            // reads on only once the server has given up on it.
            Await.until("the stalled client is closed with 1013", Duration.ofSeconds(30), () -> Scrape.of(server)
                    .value("stepstream_stream_closes_total", "transport=websocket", "stream=run", "by=server", "code=1013") >= 1 ? true : null);

            List<Integer> closes = new ArrayList<>();
            List<String> received = readOn(server, flood, closes);
            assertThat(closes).as("closed for falling behind (1013, or dropped as it had not read on to it in time),"
                    + " then 1000 after resuming").hasSize(2).endsWith(1000);
            assertThat(closes.get(0)).isIn(1013, 1006, -1);
            if (!received.equals(history)) {
                assertThat(received).as("nothing lost, nothing duplicated").containsExactlyElementsOf(history);
            }
        }
    }
}
