package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The origin rule behind a proxy (--trust-proxy), for requests that change something
 * (cross-site posts), and the open server's host rule against DNS rebinding.
 */
@Timeout(60)
class OriginRulesTest {
    @TempDir
    static Path dir;
    static TestServer proxied;
    static TestServer direct;
    static String proxiedRun;
    static String directRun;

    @BeforeAll
    static void start() {
        proxied = TestServer.start(dir.resolve("proxied"), config -> config.withSecurity(config.security().withTrustProxy(true)));
        direct = TestServer.start(dir.resolve("direct"));
        for (TestServer server : java.util.List.of(proxied, direct)) {
            server.apply("id: origins\nsteps:\n  - {id: a, type: log, message: hi}\n");
        }
        proxiedRun = proxied.execute("origins", null);
        directRun = direct.execute("origins", null);
    }

    @AfterAll
    static void stop() {
        proxied.close();
        direct.close();
    }

    static Map<String, String> behindProxy(String origin) {
        return Map.of("Origin", origin, "X-Forwarded-Host", "ops.example.com", "X-Forwarded-Proto", "https");
    }

    @Test
    void behindATrustedProxyThePagesOwnOriginIsTheProxysAddress() {
        String path = "/api/v2/workflows/runs/" + proxiedRun + "/stream";
        assertThat(RawHttp.upgrade(proxied.port(), path, behindProxy("https://ops.example.com")).status()).isEqualTo(101);
        assertThat(RawHttp.upgrade(proxied.port(), path, behindProxy("https://ops.example.com:443")).status()).isEqualTo(101);
        RawHttp.Answer foreign = RawHttp.upgrade(proxied.port(), path, behindProxy("https://evil.example"));
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.json().path("error").path("code").asText()).isEqualTo("origin_not_allowed");
        assertThat(RawHttp.upgrade(proxied.port(), path, behindProxy("http://ops.example.com")).status())
                .as("another scheme is another origin").isEqualTo(403);
    }

    @Test
    void withoutTrustProxyForwardedHeadersAreIgnored() {
        String path = "/api/v2/workflows/runs/" + directRun + "/stream";
        assertThat(RawHttp.upgrade(direct.port(), path, behindProxy("https://ops.example.com")).status()).isEqualTo(403);
        assertThat(RawHttp.upgrade(direct.port(), path, Map.of("Origin", "http://127.0.0.1:" + direct.port())).status()).isEqualTo(101);
    }

    @Test
    void aPageOfAnotherOriginCannotExecuteOrCancel() {
        RawHttp.Answer post = RawHttp.exchange(direct.port(), request(direct.port(), "POST", "/api/v2/workflows/origins/execute",
                "Origin: http://evil.example\r\nContent-Type: text/plain\r\n", "{}"));
        assertThat(post.status()).isEqualTo(403);
        assertThat(post.json().path("error").path("code").asText()).isEqualTo("origin_not_allowed");
        RawHttp.Answer own = RawHttp.exchange(direct.port(), request(direct.port(), "POST", "/api/v2/workflows/origins/execute",
                "Origin: http://127.0.0.1:" + direct.port() + "\r\nContent-Type: application/json\r\n", "{}"));
        assertThat(own.status()).as(own.body()).isEqualTo(202);
        RawHttp.Answer read = RawHttp.exchange(direct.port(), request(direct.port(), "GET", "/api/v2/workflows", "Origin: http://evil.example\r\n", ""));
        assertThat(read.status()).as("a read is the browser's to withhold (no CORS headers)").isEqualTo(200);
        assertThat(read.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void anOpenServerAnswersOnlyToThisMachinesNames() {
        RawHttp.Answer rebound = RawHttp.exchange(direct.port(), request(direct.port(), "GET", "/api/v2/workflows",
                "Host: attacker.example:" + direct.port() + "\r\n", ""));
        assertThat(rebound.status()).isEqualTo(403);
        assertThat(rebound.json().path("error").path("code").asText()).isEqualTo("host_not_allowed");
        for (String host : java.util.List.of("localhost", "127.0.0.1", "[::1]")) {
            RawHttp.Answer local = RawHttp.exchange(direct.port(), request(direct.port(), "GET", "/api/v2/workflows",
                    "Host: " + host + ":" + direct.port() + "\r\n", ""));
            assertThat(local.status()).as(host).isEqualTo(200);
        }
        RawHttp.Answer probe = RawHttp.exchange(direct.port(), request(direct.port(), "GET", "/healthz", "Host: attacker.example\r\n", ""));
        assertThat(probe.status()).isEqualTo(200);
    }

    static byte[] request(int port, String method, String path, String headers, String body) {
        String host = headers.contains("Host:") ? "" : "Host: 127.0.0.1:" + port + "\r\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return (method + " " + path + " HTTP/1.1\r\n" + host + headers + "Content-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }
}
