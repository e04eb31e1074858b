package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Cross-site WebSocket hijacking: only no Origin, the server's own, or an allowed one may open a stream. */
@Timeout(30)
class OriginCheckTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static String runId;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withAllowedOrigins(List.of("https://ops.example.com")));
        server.apply("id: origin\nsteps:\n  - {id: a, type: log, message: hi}\n");
        runId = server.execute("origin", null);
        server.awaitEnd(runId);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Sends a WebSocket upgrade request and returns the status line and body of the answer. */
    static String upgrade(String path, String origin) throws IOException {
        return upgrade(path, "websocket", origin == null ? List.of() : List.of(origin));
    }

    /** The same with this {@code Upgrade} header and these {@code Origin} headers, one each. */
    static String upgrade(String path, String upgradeHeader, List<String> origins) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            StringBuilder originLines = new StringBuilder();
            origins.forEach(origin -> originLines.append("Origin: ").append(origin).append("\r\n"));
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "Connection: Upgrade\r\nUpgrade: " + upgradeHeader + "\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + originLines + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int read = in.read(buffer);
            String answer = new String(buffer, 0, Math.max(read, 0), StandardCharsets.UTF_8);
            if (answer.startsWith("HTTP/1.1 4") && !answer.contains("\r\n\r\n{")) {
                read = in.read(buffer);
                answer += new String(buffer, 0, Math.max(read, 0), StandardCharsets.UTF_8);
            }
            return answer;
        }
    }

    @Test
    void aForeignBrowserOriginIsRefusedWith403() throws IOException {
        for (String path : List.of("/api/v2/workflows/runs/" + runId + "/stream", "/api/v2/stream")) {
            String answer = upgrade(path, "http://evil.example");
            assertThat(answer).as(path).startsWith("HTTP/1.1 403");
            assertThat(answer).contains("\"code\":\"origin_not_allowed\"");
        }
    }

    /**
     * What a script may send but a browser does not changes nothing: an {@code Upgrade} that
     * lists websocket with another protocol (which Vert.x upgrades), and a second {@code Origin}
     * after the server's own.
     */
    @Test
    void anUpgradeListAndASecondOriginAreRefusedAsTheBrowsersRequestIs() throws IOException {
        String own = "http://127.0.0.1:" + server.port();
        for (String path : List.of("/api/v2/workflows/runs/" + runId + "/stream", "/api/v2/stream")) {
            for (String listed : List.of("websocket, foo", "foo, websocket", "WebSocket")) {
                String answer = upgrade(path, listed, List.of("http://evil.example"));
                assertThat(answer).as("%s with Upgrade: %s", path, listed).startsWith("HTTP/1.1 403").contains("\"code\":\"origin_not_allowed\"");
                assertThat(upgrade(path, listed, List.of(own))).as("%s with Upgrade: %s from its own page", path, listed)
                        .startsWith("HTTP/1.1 101");
            }
            String twice = upgrade(path, "websocket", List.of(own, "http://evil.example"));
            assertThat(twice).as("%s with two origins", path).startsWith("HTTP/1.1 403").contains("\"code\":\"origin_not_allowed\"");
        }
    }

    /**
     * The SSE form of a run stream is a stream like the WebSocket: a page elsewhere may not open
     * it (origin), nor a page reached through a rebound name (host; this server is open and
     * loopback-only), and both are refused with the same answer as the WebSocket's.
     */
    @Test
    void sseIsRefusedAForeignOriginAndAForeignHostExactlyAsTheWebSocketIs() {
        int port = server.port();
        String websocket = "/api/v2/workflows/runs/" + runId + "/stream";
        for (Map<String, String> headers : List.of(Map.of("Origin", "http://evil.example"),
                Map.of("Origin", "http://127.0.0.1:1"),
                Map.of("Host", "attacker.example:" + port),
                Map.of("Host", "attacker.example:" + port, "Origin", "http://attacker.example:" + port))) {
            RawHttp.Answer upgrade = RawHttp.upgrade(port, websocket, headers);
            RawHttp.Answer events = sse(headers);
            assertThat(upgrade.status()).as("WebSocket, %s", headers).isEqualTo(403);
            assertThat(events.status()).as("SSE, %s", headers).isEqualTo(403);
            assertThat(events.json().path("error").path("code").asText()).as("SSE, %s", headers)
                    .isEqualTo(upgrade.json().path("error").path("code").asText())
                    .isEqualTo(headers.containsKey("Host") ? "host_not_allowed" : "origin_not_allowed");
        }
        for (Map<String, String> headers : List.of(Map.<String, String>of(), Map.of("Origin", "http://127.0.0.1:" + port),
                Map.of("Origin", "https://ops.example.com"), Map.of("Host", "localhost:" + port))) {
            assertThat(RawHttp.upgrade(port, websocket, headers).status()).as("WebSocket, %s", headers).isEqualTo(101);
            RawHttp.Answer events = sse(headers);
            assertThat(events.status()).as("SSE, %s", headers).isEqualTo(200);
            assertThat(events.body()).contains("event: run_complete");
        }
    }

    /** Opens the run's SSE stream with {@code headers} on a raw socket (the JDK's client will not send a Host of our choosing). */
    static RawHttp.Answer sse(Map<String, String> headers) {
        StringBuilder request = new StringBuilder("GET /api/v2/workflows/runs/" + runId + "/events HTTP/1.1\r\n");
        if (!headers.containsKey("Host")) {
            request.append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
        }
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("Accept: text/event-stream\r\nConnection: close\r\n\r\n");
        return RawHttp.exchange(server.port(), request.toString().getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void noOriginTheServersOwnAndAllowedOriginsMayConnect() throws IOException {
        String path = "/api/v2/workflows/runs/" + runId + "/stream";
        assertThat(upgrade(path, null)).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "http://127.0.0.1:" + server.port())).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "https://OPS.example.com")).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "http://127.0.0.1:1")).as("another port is another origin").startsWith("HTTP/1.1 403");
    }
}
