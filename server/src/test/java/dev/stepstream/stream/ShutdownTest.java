package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A server that stops tells every open stream so, with 1001: reconnect with {@code after}. */
@Timeout(60)
class ShutdownTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void closingTheServerClosesEveryOpenStreamWith1001() {
        // One run at a time: the second run waits in the queue, so its stream is open on a run
        // that cannot end while the server stops.
        try (TestServer server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(1))) {
            server.apply(Yaml.fixture("st-quiet.yaml"));
            String running = server.execute("st-quiet", "{\"pause\": \"30s\"}");
            String queued = server.execute("st-quiet", "{\"pause\": \"1s\"}");

            WsClient runningStream = WsClient.connect(http, server.streamUrl(running, ""));
            WsClient queuedStream = WsClient.connect(http, server.streamUrl(queued, "batch=1"));
            WsClient allRuns = WsClient.connect(http, server.wsUrl("/api/v2/stream"));
            runningStream.awaitType("caught_up");
            queuedStream.awaitType("caught_up");

            server.close();

            WsClient.Close queuedClose = queuedStream.awaitClose();
            assertThat(queuedClose.code()).as("the queued run's stream: %s", queuedClose).isEqualTo(1001);
            WsClient.Close allRunsClose = allRuns.awaitClose();
            assertThat(allRunsClose.code()).as("the all-runs stream: %s", allRunsClose).isEqualTo(1001);
            assertThat(allRunsClose.reason()).as("it has no after to resume with").isEqualTo("server shutting down; reconnect");
            assertThat(queuedClose.reason()).isEqualTo("server shutting down; reconnect with after");
            // The running run ends interrupted before the streams close: its follower sees the end
            // (a client would otherwise wait for a server that is gone, to learn what it knew).
            WsClient.Close close = runningStream.awaitClose();
            List<JsonNode> envelopes = runningStream.envelopes();
            JsonNode last = envelopes.get(envelopes.size() - 1);
            assertThat(last.path("type").asText()).as("the running run's stream ended %s after %s", close, last)
                    .isEqualTo("run_complete");
            assertThat(last.path("payload").path("status").asText()).isEqualTo("interrupted");
            assertThat(close.code()).as("the running run's stream, its run ended: %s", close).isEqualTo(1000);
        }
    }

    /**
     * A stream is open once the client has its 101, however recently: a server that stops right
     * then must still say 1001, not a bare 1000 that tells the client the run has ended. The
     * window is small, so each round opens ten streams at once and stops the server as soon as
     * the first is open, while the others are still connecting (those may be refused, or
     * accepted; an accepted one is an open stream like any other).
     */
    @Test
    void streamsOpenedJustBeforeTheServerStopsAreClosedWith1001Too() {
        for (int round = 0; round < 10; round++) {
            try (TestServer server = TestServer.start(dir.resolve("round-" + round), config -> config.withMaxConcurrentRuns(1))) {
                server.apply(Yaml.fixture("st-quiet.yaml"));
                server.execute("st-quiet", "{\"pause\": \"30s\"}");
                String queued = server.execute("st-quiet", null); // cannot end while the server stops
                List<CompletableFuture<WsClient>> opening = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    URI uri = i % 2 == 0 ? server.streamUrl(queued, "") : server.wsUrl("/api/v2/stream");
                    opening.add(WsClient.open(http, uri, Integer.MAX_VALUE));
                }
                CompletableFuture.anyOf(opening.toArray(CompletableFuture[]::new)).join();

                server.close();

                for (CompletableFuture<WsClient> open : opening) {
                    WsClient client;
                    try {
                        client = open.get(15, TimeUnit.SECONDS);
                    } catch (ExecutionException refusedWhileStopping) {
                        continue;
                    } catch (InterruptedException | TimeoutException e) {
                        throw new AssertionError("a connection neither opened nor failed", e);
                    }
                    WsClient.Close close = client.awaitClose();
                    assertThat(close.code()).as("round %d, %s: %s after %s", round, client.uri().getPath(), close,
                            client.messages()).isEqualTo(1001);
                }
            }
        }
    }

    /**
     * An SSE response open when the server stops (on a run that cannot end first) ends properly: a comment saying why, then the
     * chunked body's last chunk, before the connection closes. Read from the socket itself, so
     * that a cut transfer (what curl reports as "transfer closed with outstanding read data
     * remaining") cannot pass for an end.
     */
    @Test
    void anSseStreamEndsCleanlyWhenTheServerStops() throws Exception {
        try (TestServer server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(1))) {
            server.apply(Yaml.fixture("st-quiet.yaml"));
            server.execute("st-quiet", "{\"pause\": \"30s\"}");
            String queued = server.execute("st-quiet", null); // cannot end while the server stops
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(15_000);
                socket.getOutputStream().write(("GET /api/v2/workflows/runs/" + queued + "/events HTTP/1.1\r\n"
                        + "Host: 127.0.0.1:" + server.port() + "\r\nAccept: text/event-stream\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.InputStream in = socket.getInputStream();
                java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
                byte[] chunk = new byte[8192];
                while (!received.toString(java.nio.charset.StandardCharsets.UTF_8).contains("caught_up")) {
                    int read = in.read(chunk);
                    assertThat(read).as("the stream ended before caught_up: %s", received).isPositive();
                    received.write(chunk, 0, read);
                }

                server.close();

                for (int read; (read = in.read(chunk)) != -1; ) {
                    received.write(chunk, 0, read);
                }
                String text = received.toString(java.nio.charset.StandardCharsets.UTF_8);
                assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
                assertThat(text).as("a comment saying why, then the last chunk")
                        .contains(": server shutting down; reconnect with Last-Event-ID").endsWith("\r\n0\r\n\r\n");
            }
        }
    }

    @Test
    void aQueuedRunsStreamCatchesUpAtZeroThenGoesLiveWhenTheRunStarts() {
        try (TestServer server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(1))) {
            server.apply(Yaml.fixture("st-quiet.yaml"));
            server.apply(Yaml.fixture("st-story.yaml"));
            String blocker = server.execute("st-quiet", "{\"pause\": \"30s\"}");
            String queued = server.execute("st-story", null);

            try (WsClient client = WsClient.connect(http, server.streamUrl(queued, ""))) {
                JsonNode caughtUp = client.awaitType("caught_up");
                assertThat(caughtUp.path("payload").path("seq").asLong()).as("nothing sent yet: %s", caughtUp).isZero();
                assertThat(client.envelopes()).isEmpty();

                assertThat(server.post("/api/v2/workflows/runs/" + blocker + "/cancel", "").status()).isEqualTo(202);
                Envelopes.assertWholeStream(client, server.awaitRawHistory(queued), queued);
                Envelopes.assertWellFormed(client.envelopes(), queued, 1);
            }
        }
    }
}
