package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.RawHttp.SilentWebSocket;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server side's MUSTs of RFC 6455 sections 5 to 8, walked against the real server with a
 * raw socket client that sends exactly the frames a test asks for, well-formed or not. Each test
 * names the section it checks. (The opening handshake, section 4, is {@link HandshakeTest}'s;
 * the timing of the closing handshake is {@link CloseHandshakeTest}'s.)
 */
@Timeout(90)
class Rfc6455ConformanceTest {
    private static final int CONTINUATION = 0x0;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int PONG = 0xA;
    private static final byte[] PING_MESSAGE = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static TestServer server;
    static String path;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply(Yaml.fixture("st-quiet.yaml"));
        path = "/api/v2/workflows/runs/" + server.execute("st-quiet", "{\"pause\": \"60s\"}") + "/stream";
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A stream of a run that stays quiet, once its history has come (caught_up). */
    static SilentWebSocket open() {
        SilentWebSocket client = SilentWebSocket.connect(server.port(), path);
        Await.until("caught_up", Duration.ofSeconds(10),
                () -> client.textMessages().stream().anyMatch(text -> text.contains("caught_up")) ? true : null);
        return client;
    }

    /** The server fails the connection: a close frame with {@code code}, then the end of the TCP connection. */
    static void assertFailedWith(SilentWebSocket client, int code) {
        assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).isEqualTo(code);
        Await.until("the server ends the TCP connection", Duration.ofSeconds(10), client::disconnectedAt);
    }

    static void assertAnsweredPing(SilentWebSocket client) {
        Await.until("the pong message", Duration.ofSeconds(10),
                () -> client.textMessages().contains("{\"type\":\"pong\"}") ? true : null);
    }

    @Test
    void section5_1_theServerMasksNoFrameAndFailsOnAnUnmaskedOne() throws IOException {
        try (SilentWebSocket client = open()) {
            assertThat(client.frames()).isNotEmpty().allSatisfy(frame -> assertThat(frame.masked()).isFalse());
            client.send(TEXT, PING_MESSAGE, true, false);
            assertFailedWith(client, 1002);
        }
    }

    @Test
    void section5_2_reservedBitsWithoutAnExtensionFailTheConnection() throws IOException {
        for (int rsv : new int[] {0x40, 0x20, 0x10}) {
            try (SilentWebSocket client = open()) {
                byte[] frame = SilentWebSocket.clientFrame(TEXT, PING_MESSAGE);
                frame[0] |= (byte) rsv;
                client.sendRaw(frame);
                assertFailedWith(client, 1002);
            }
        }
    }

    @Test
    void section5_2_reservedOpcodesFailTheConnection() throws IOException {
        for (int opcode : new int[] {0x3, 0x7, 0xB, 0xF}) {
            try (SilentWebSocket client = open()) {
                client.send(opcode, new byte[] {1, 2, 3}, true, true);
                assertFailedWith(client, 1002);
            }
        }
    }

    @Test
    void section5_4_aMessageMayComeInFragmentsWithControlFramesBetweenThem() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8), false, true);
            client.send(PING, "between".getBytes(StandardCharsets.UTF_8), true, true);
            client.send(CONTINUATION, "\"ping\"}".getBytes(StandardCharsets.UTF_8), true, true);
            assertAnsweredPing(client);
            assertThat(client.frames()).anySatisfy(frame -> {
                assertThat(frame.opcode()).isEqualTo(PONG);
                assertThat(new String(frame.payload(), StandardCharsets.UTF_8)).isEqualTo("between");
            });
            assertThat(client.ended()).isFalse();
        }
    }

    @Test
    void section5_4_fragmentsOutOfOrderFailTheConnection() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(CONTINUATION, PING_MESSAGE, true, true); // nothing to continue
            assertFailedWith(client, 1002);
        }
        try (SilentWebSocket client = open()) {
            client.send(TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8), false, true);
            client.send(TEXT, PING_MESSAGE, true, true); // a new message before the first ended
            assertFailedWith(client, 1002);
        }
        try (SilentWebSocket client = open()) {
            client.send(PING, new byte[] {1}, false, true); // a control frame must not be fragmented
            assertFailedWith(client, 1002);
        }
    }

    @Test
    void section5_5_aControlFrameOver125BytesFailsTheConnection() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(PING, new byte[126], true, true);
            assertFailedWith(client, 1002);
        }
    }

    @Test
    void section5_5_1_aCloseFrameIsAnsweredWithOneAndTheConnectionEnds() throws IOException {
        try (SilentWebSocket client = open()) {
            client.sendRaw(SilentWebSocket.clientFrame(CLOSE, ByteBuffer.allocate(2).putShort((short) 1000).array()));
            assertFailedWith(client, 1000);
            assertThat(client.frames().getLast().opcode()).as("nothing after the close frame").isEqualTo(CLOSE);
        }
        try (SilentWebSocket client = open()) {
            client.sendRaw(SilentWebSocket.clientFrame(CLOSE, new byte[0])); // no status: answered with none
            assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).isEqualTo(1005);
        }
    }

    @Test
    void section5_5_2_aPingIsAnsweredWithAPongCarryingItsData() throws IOException {
        try (SilentWebSocket client = open()) {
            byte[] data = "are you there?".getBytes(StandardCharsets.UTF_8);
            client.send(PING, data, true, true);
            RawHttp.Frame pong = Await.until("the pong", Duration.ofSeconds(10), () -> client.frames().stream()
                    .filter(frame -> frame.opcode() == PONG).findFirst().orElse(null));
            assertThat(pong.payload()).isEqualTo(data);
            assertThat(pong.fin()).isTrue();
        }
    }

    @Test
    void section5_5_3_anUnsolicitedPongIsIgnoredAndSoIsABinaryMessage() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(PONG, "unasked".getBytes(StandardCharsets.UTF_8), true, true);
            client.send(BINARY, new byte[] {0, 1, 2}, true, true);
            client.send(TEXT, PING_MESSAGE, true, true);
            assertAnsweredPing(client);
            assertThat(client.ended()).isFalse();
        }
    }

    /**
     * Section 10.4 leaves the limits to the server; ours (docs/security.md, "Limits") is 512
     * bytes a message, whatever its kind: a binary message is ignored as a text one is answered,
     * up to the limit, and closes the connection with 1009 past it, whole or in fragments.
     */
    @Test
    void section10_4_aMessageOver512BytesTextOrBinaryFailsTheConnectionWith1009() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(BINARY, new byte[513], true, true);
            assertFailedWith(client, 1009);
            assertThat(client.closeReason()).contains("512 bytes");
        }
        try (SilentWebSocket client = open()) {
            client.send(BINARY, new byte[300], false, true);
            client.send(CONTINUATION, new byte[213], true, true);
            assertFailedWith(client, 1009);
        }
        try (SilentWebSocket client = open()) {
            client.send(TEXT, "x".repeat(513).getBytes(StandardCharsets.UTF_8), true, true);
            assertFailedWith(client, 1009);
        }
        try (SilentWebSocket client = open()) {
            client.send(BINARY, new byte[300], false, true);
            client.send(CONTINUATION, new byte[212], true, true);
            String ping = "{\"type\":\"ping\",\"pad\":\"\"}";
            client.send(TEXT, ping.replace("\"\"}", "\"" + "x".repeat(512 - ping.length()) + "\"}").getBytes(StandardCharsets.UTF_8),
                    true, true);
            assertAnsweredPing(client);
            assertThat(client.ended()).as("512 bytes, binary or text, is within the limit").isFalse();
        }
    }

    @Test
    void section8_1_textThatIsNotUtf8FailsTheConnectionWith1007() throws IOException {
        try (SilentWebSocket client = open()) {
            client.send(TEXT, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, true, true); // a surrogate
            assertFailedWith(client, 1007);
        }
    }

    @Test
    void section7_4_aCloseFrameWithACodeNoEndpointMaySendFailsTheConnection() throws IOException {
        for (int code : new int[] {999, 1004, 1005, 1006, 1015, 1016, 2999}) {
            try (SilentWebSocket client = open()) {
                client.sendRaw(SilentWebSocket.clientFrame(CLOSE, ByteBuffer.allocate(2).putShort((short) code).array()));
                assertThat(Await.until("the close frame", Duration.ofSeconds(10), client::endedWith)).as("code %d", code)
                        .isEqualTo(1002);
            }
        }
        try (SilentWebSocket client = open()) {
            client.sendRaw(SilentWebSocket.clientFrame(CLOSE, new byte[] {0x03})); // one byte: half a code
            assertFailedWith(client, 1002);
        }
    }

    @Test
    void section7_1_6_aCloseReasonThatIsNotUtf8FailsTheConnectionWith1007() throws IOException {
        try (SilentWebSocket client = open()) {
            client.sendRaw(SilentWebSocket.clientFrame(CLOSE,
                    ByteBuffer.allocate(3).putShort((short) 1000).put((byte) 0xFF).array()));
            assertFailedWith(client, 1007);
        }
    }
}
