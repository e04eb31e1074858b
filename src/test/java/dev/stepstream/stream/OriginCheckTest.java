package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
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

    @Test
    void noOriginTheServersOwnAndAllowedOriginsMayConnect() throws IOException {
        String path = "/api/v2/workflows/runs/" + runId + "/stream";
        assertThat(upgrade(path, null)).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "http://127.0.0.1:" + server.port())).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "https://OPS.example.com")).startsWith("HTTP/1.1 101");
        assertThat(upgrade(path, "http://127.0.0.1:1")).as("another port is another origin").startsWith("HTTP/1.1 403");
    }
}
