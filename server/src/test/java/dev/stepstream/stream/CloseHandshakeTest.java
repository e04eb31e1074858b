package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a stream's WebSocket ends (RFC 6455 section 7): the server's close frame, then the end of
 * the TCP connection once the client answers (or after the close timeout, the write timeout,
 * counted from when the frame left); a client's close frame answered with its code; a frame
 * that breaks the protocol answered with 1002 and the connection dropped at once.
 */
@Timeout(90)
class CloseHandshakeTest {
    static final String[] WS = {"transport=websocket", "stream=run"};

    @TempDir
    static Path dir;
    /** Default timings: a close handshake may take 10 s. */
    static TestServer server;
    /** A write timeout, and so a close timeout, of 1 s. */
    static TestServer quick;
    static String finishedRun;
    static String quickFinishedRun;
    static String quietRun;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir.resolve("default"));
        quick = TestServer.start(dir.resolve("quick"), config -> config.withStreams(new StreamSettings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(15))));
        server.apply(Yaml.fixture("st-quiet.yaml"));
        quick.apply(Yaml.fixture("st-quiet.yaml"));
        finishedRun = server.execute("st-quiet", "{\"pause\": \"0s\"}");
        quickFinishedRun = quick.execute("st-quiet", "{\"pause\": \"0s\"}");
        quietRun = server.execute("st-quiet", "{\"pause\": \"60s\"}");
        server.awaitEnd(finishedRun);
        quick.awaitEnd(quickFinishedRun);
    }

    @AfterAll
    static void stop() {
        server.close();
        quick.close();
    }

    static String stream(String runId) {
        return "/api/v2/workflows/runs/" + runId + "/stream";
    }

    /** A client's masked close frame with {@code code} and {@code reason}. */
    static byte[] closeFrame(int code, String reason) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        return RawHttp.SilentWebSocket.clientFrame(0x8, ByteBuffer.allocate(2 + utf8.length).putShort((short) code).put(utf8).array());
    }

    static long awaitDisconnected(RawHttp.SilentWebSocket client, Duration within) {
        return Await.until("the server ends the TCP connection", within, client::disconnectedAt);
    }

    @Test
    void whenTheClientAnswersTheServersCloseFrameTheServerEndsTheConnection() throws IOException {
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(finishedRun))) {
            int code = Await.until("the close frame", Duration.ofSeconds(10), client::endedWith);
            assertThat(code).as("the run is over").isEqualTo(1000);
            assertThat(client.closeReason()).isEqualTo("run complete");
            assertThat(client.disconnectedAt()).as("the server waits for the answer").isNull();

            long answered = System.nanoTime();
            client.sendRaw(closeFrame(1000, ""));
            long disconnected = awaitDisconnected(client, Duration.ofSeconds(8));
            assertThat(Duration.ofNanos(disconnected - answered)).as("well within the 10 s close timeout")
                    .isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aClientThatNeverAnswersTheCloseFrameIsDisconnectedAfterTheCloseTimeout() {
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(quick.port(), stream(quickFinishedRun))) {
            Await.until("the close frame", Duration.ofSeconds(10), client::endedWith);
            long closeFrameSeen = System.nanoTime();
            long disconnected = awaitDisconnected(client, Duration.ofSeconds(10));
            // The timeout counts from when the frame left, a moment before the client saw it; the
            // clock ticks at a quarter of the shortest period, so it ends at most 250 ms late.
            assertThat(Duration.ofNanos(disconnected - closeFrameSeen)).isBetween(Duration.ofMillis(700), Duration.ofSeconds(5));
        }
    }

    @Test
    void aClientsCloseFrameIsAnsweredWithItsCodeAndEndsTheStream() throws IOException {
        Scrape before = Scrape.of(server);
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun))) {
            Await.until("caught_up", Duration.ofSeconds(10),
                    () -> client.textMessages().stream().anyMatch(text -> text.contains("caught_up")) ? true : null);
            client.sendRaw(closeFrame(4000, "bye"));
            assertThat(Await.until("the answer", Duration.ofSeconds(10), client::endedWith)).isEqualTo(4000);
            awaitDisconnected(client, Duration.ofSeconds(5));
        }
        Await.until("the stream is counted closed by the client", Duration.ofSeconds(10), () -> {
            Scrape now = Scrape.of(server);
            return now.since(before, "stepstream_stream_closes_total", "transport=websocket", "stream=run", "by=client", "code=other") == 1
                    && now.value("stepstream_stream_connections_open", WS) == 0 ? true : null;
        });
    }

    @Test
    void aCompressedFrameThatWasNeverNegotiatedIsAnsweredWith1002AndTheConnectionDroppedAtOnce() throws IOException {
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun),
                Map.of("Sec-WebSocket-Extensions", "permessage-deflate"), new byte[0])) {
            Await.until("caught_up", Duration.ofSeconds(10),
                    () -> client.textMessages().stream().anyMatch(text -> text.contains("caught_up")) ? true : null);
            byte[] frame = RawHttp.SilentWebSocket.clientFrame(0x1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
            frame[0] |= 0x40; // RSV1: "this message is compressed", which needs permessage-deflate
            long sent = System.nanoTime();
            client.sendRaw(frame);
            assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).isEqualTo(1002);
            long disconnected = awaitDisconnected(client, Duration.ofSeconds(8));
            assertThat(Duration.ofNanos(disconnected - sent)).as("no wait for an answer that cannot be read")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(client.textMessages()).as("the ping was not read").doesNotContain("{\"type\":\"pong\"}");
        }
    }
    @Test
    void aTextMessageThatIsNotUtf8IsAnsweredWith1007WholeOrInFragments() throws IOException {
        byte[] ping = "{\"type\":\"ping\",\"note\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        int split = "{\"type\":\"ping\",\"note\":\"".length() + 1; // inside the two bytes of é
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun))) {
            awaitCaughtUp(client);
            client.send(0x1, java.util.Arrays.copyOfRange(ping, 0, split), false, true);
            client.send(0x0, java.util.Arrays.copyOfRange(ping, split, ping.length), true, true);
            Await.until("the pong to a ping whose character is split across fragments", Duration.ofSeconds(10),
                    () -> client.textMessages().contains("{\"type\":\"pong\"}") ? true : null);

            client.send(0x1, new byte[] {'{', (byte) 0xC3}, false, true);   // é's first byte…
            client.send(0x0, new byte[] {'(', '}'}, true, true);             // …and no second
            assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).isEqualTo(1007);
            assertThat(client.closeReason()).isEqualTo("text messages must be valid UTF-8");
        }
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun))) {
            awaitCaughtUp(client);
            client.send(0x1, new byte[] {'"', (byte) 0xFF, '"'}, true, true);
            assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).isEqualTo(1007);
        }
    }

    @Test
    void aCloseFrameWhoseReasonIsNotUtf8IsAnsweredWith1007() throws IOException {
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun))) {
            awaitCaughtUp(client);
            client.sendRaw(RawHttp.SilentWebSocket.clientFrame(0x8,
                    ByteBuffer.allocate(4).putShort((short) 4000).put((byte) 0xC0).put((byte) 0x80).array()));
            assertThat(Await.until("the answer", Duration.ofSeconds(10), client::endedWith)).isEqualTo(1007);
            awaitDisconnected(client, Duration.ofSeconds(5));
        }
    }

    @Test
    void onlyTheJdksClientIsPingedBeforeItsFirstFramesAndHasThemHeldBack() throws IOException {
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun))) {
            awaitCaughtUp(client);
            assertThat(client.pings()).as("nothing held back: the frames came first").isZero();
        }
        try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), stream(quietRun),
                Map.of("User-Agent", "Java-http-client/25"), new byte[0])) {
            awaitCaughtUp(client);
            assertThat(client.pings()).as("the ping whose answer would release the frames came before them").isEqualTo(1);
        }
    }

    private static void awaitCaughtUp(RawHttp.SilentWebSocket client) {
        Await.until("caught_up", Duration.ofSeconds(10),
                () -> client.textMessages().stream().anyMatch(text -> text.contains("caught_up")) ? true : null);
    }
}
