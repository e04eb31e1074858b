package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.ByteArrayOutputStream;
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
 * The WebSocket opening handshake of the stream endpoints (RFC 6455 section 4), seen on the
 * wire: the 101 answer, the subprotocol, and the refusals of handshakes that are not right.
 */
@Timeout(60)
class HandshakeTest {
    /** RFC 6455's own example: this key is answered with that accept value. */
    static final String RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    static final String RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

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

    @Test
    void theServerAnswers101WithTheAcceptValueOfTheRfcAndNoExtension() {
        for (String endpoint : new String[] {path, "/api/v2/stream"}) {
            RawHttp.Answer answer = RawHttp.upgrade(server.port(), endpoint,
                    Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"));
            assertThat(answer.status()).as(endpoint).isEqualTo(101);
            assertThat(answer.header("Upgrade")).as(endpoint).isEqualToIgnoringCase("websocket");
            assertThat(answer.header("Connection")).as(endpoint).isEqualToIgnoringCase("upgrade");
            assertThat(answer.header("Sec-WebSocket-Accept")).as(endpoint).isEqualTo(RFC_ACCEPT);
            assertThat(answer.header("Sec-WebSocket-Extensions")).as("frames are never compressed: %s", endpoint).isNull();
            assertThat(answer.header("Sec-WebSocket-Protocol")).as("none was offered: %s", endpoint).isNull();
        }
    }

    @Test
    void stepstreamV2IsChosenWhenOfferedAndAnOfferOfOnlyOtherProtocolsIsAnsweredWithNone() {
        Map<String, String> answered = new java.util.LinkedHashMap<>();
        for (String offered : new String[] {"stepstream.v2", "chat, stepstream.v2", "stepstream.v2, stepstream.bearer.ss_abc",
                "stepstream.bearer.ss_abc", "chat, superchat"}) {
            RawHttp.Answer answer = RawHttp.upgrade(server.port(), path, Map.of("Sec-WebSocket-Protocol", offered));
            assertThat(answer.status()).as(offered).isEqualTo(101);
            answered.put(offered, String.valueOf(answer.header("Sec-WebSocket-Protocol")));
        }
        assertThat(answered).containsExactly(
                Map.entry("stepstream.v2", "stepstream.v2"),
                Map.entry("chat, stepstream.v2", "stepstream.v2"),
                Map.entry("stepstream.v2, stepstream.bearer.ss_abc", "stepstream.v2"),
                Map.entry("stepstream.bearer.ss_abc", "null"),
                Map.entry("chat, superchat", "null"));
    }

    @Test
    void aVersionOtherThan13IsRefusedWith426NamingTheVersionTheServerSpeaks() {
        RawHttp.Answer answer = exchange(handshake(path, "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + RFC_KEY + "\r\n"));
        assertThat(answer.status()).isEqualTo(426);
        assertThat(answer.header("Sec-WebSocket-Version")).isEqualTo("13");
        JsonNode error = answer.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("unsupported_websocket_version");
        assertThat(error.path("message").asText()).contains("Sec-WebSocket-Version", "13", "\"8\"");

        RawHttp.Answer none = exchange(handshake("/api/v2/stream", "Sec-WebSocket-Key: " + RFC_KEY + "\r\n"));
        assertThat(none.status()).isEqualTo(426);
        assertThat(none.header("Sec-WebSocket-Version")).isEqualTo("13");
    }

    @Test
    void aKeyThatIsNotSixteenBytesInBase64IsRefusedWith400NamingTheHeader() {
        String fifteenBytes = java.util.Base64.getEncoder().encodeToString(new byte[15]);
        String seventeenBytes = java.util.Base64.getEncoder().encodeToString(new byte[17]);
        for (String key : new String[] {fifteenBytes, seventeenBytes, "not base64 at all!!!!!!!", "dGhlIHNhbXBsZSBub25jZQ"}) {
            RawHttp.Answer answer = exchange(handshake(path, "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n"));
            assertThat(answer.status()).as(key).isEqualTo(400);
            JsonNode error = answer.json().path("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_handshake");
            assertThat(error.path("message").asText()).startsWith("Sec-WebSocket-Key: must be 16 bytes in Base64");
        }
    }

    @Test
    void aHandshakeWithoutAKeyIsRefusedWith400NamingTheHeader() {
        for (String endpoint : new String[] {path, "/api/v2/stream"}) {
            RawHttp.Answer answer = exchange(handshake(endpoint, "Sec-WebSocket-Version: 13\r\n"));
            assertThat(answer.status()).as(endpoint).isEqualTo(400);
            JsonNode error = answer.json().path("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_handshake");
            assertThat(error.path("message").asText()).contains("Sec-WebSocket-Key");
        }
    }

    @Test
    void aWorkflowFilterThatNoWorkflowCouldHaveIsRefusedWith400NamingIt() {
        for (String filter : new String[] {"St-Dashboard", "no%20such", "-leading", "x".repeat(65)}) {
            RawHttp.Answer answer = RawHttp.upgrade(server.port(), "/api/v2/stream?workflowId=" + filter, Map.of());
            assertThat(answer.status()).as(filter).isEqualTo(400);
            JsonNode error = answer.json().path("error");
            assertThat(error.path("code").asText()).as(filter).isEqualTo("invalid_parameter");
            assertThat(error.path("message").asText()).as(filter).startsWith("workflowId: expected a workflow id");
        }
        assertThat(RawHttp.upgrade(server.port(), "/api/v2/stream?workflowId=no-such-workflow-yet", Map.of()).status())
                .as("a workflow that may yet be defined is a filter like any other").isEqualTo(101);
    }

    @Test
    void aHandshakeWithABodyIsRefusedWith400() {
        RawHttp.Answer answer = exchange(handshake(path, "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + RFC_KEY
                + "\r\nContent-Length: 5\r\n", "hello"));
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("error").path("message").asText()).contains("no body");
    }

    @Test
    void framesTheClientSendsRightAfterItsRequestAreReadOnceTheStreamIsOpen() {
        byte[] ping = RawHttp.SilentWebSocket.clientFrame(0x1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
        for (String endpoint : new String[] {path, "/api/v2/stream"}) {
            try (RawHttp.SilentWebSocket client = RawHttp.SilentWebSocket.connect(server.port(), endpoint, Map.of(), ping)) {
                Await.until("a pong on " + endpoint + " (texts so far " + client.textMessages() + ")", Duration.ofSeconds(10),
                        () -> client.textMessages().contains("{\"type\":\"pong\"}") ? true : null);
                assertThat(client.ended()).as("still open").isFalse();
            }
        }
    }

    @Test
    void aRunStreamRefusedAfterItsRunWasLookedUpIsAnsweredAndItsConnectionClosed() {
        String unknown = "/api/v2/workflows/runs/" + java.util.UUID.randomUUID() + "/stream";
        RawHttp.Answer answer = exchange(handshake(unknown, "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + RFC_KEY + "\r\n"));
        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.json().path("error").path("code").asText()).isEqualTo("run_not_found");
        assertThat(answer.header("Connection")).as("it can read no other request").isEqualToIgnoringCase("close");
    }

    private static byte[] handshake(String target, String headers) {
        return handshake(target, headers, "");
    }

    private static byte[] handshake(String target, String headers, String body) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" + headers + "\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        return request.toByteArray();
    }

    private static RawHttp.Answer exchange(byte[] request) {
        RawHttp.Answer answer = RawHttp.exchange(server.port(), request);
        assertThat(answer).as("an answer").isNotNull();
        assertThat(answer.header("Content-Type")).as(answer.body()).startsWith("application/json");
        return answer;
    }
}
