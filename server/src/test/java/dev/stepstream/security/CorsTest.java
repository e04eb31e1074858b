package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.app.Config;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CORS for the origins of {@code --allowed-origins}, through HTTP as a browser sends it: every
 * answer to a listed origin, refusals included (SSE 404, 401, 429), carries
 * {@code Access-Control-Allow-Origin}, and its preflight is answered; another origin gets no
 * CORS header at all.
 */
@Timeout(60)
class CorsTest {
    static final String PAGE = "http://localhost:8000";
    static final String ELSEWHERE = "http://elsewhere.example";

    @TempDir
    static Path dir;
    static TestServer server;
    static String operator;

    @BeforeAll
    static void start() throws IOException {
        Path tokens = dir.resolve("tokens");
        operator = TokenFile.create(tokens, "page", Role.ADMIN);
        // Two stream opens a second per client: the third is a 429.
        SecuritySettings.Limits limits = new SecuritySettings.Limits(SecuritySettings.DEFAULT_LIMITS.requests(), new SecuritySettings.Rate(2, Duration.ofMinutes(1)),
                SecuritySettings.DEFAULT_LIMITS.maxConnections(), SecuritySettings.DEFAULT_LIMITS.maxStreamsPerClient(),
                SecuritySettings.DEFAULT_LIMITS.maxSubscribersPerRun(), SecuritySettings.DEFAULT_LIMITS.requestTimeout(),
                SecuritySettings.DEFAULT_LIMITS.idleTimeout());
        server = TestServer.start(dir.resolve("server"), config -> config.withAllowedOrigins(List.of(PAGE))
                .withSecurity(config.security().withTokensFile(tokens).withLimits(limits)));
        RawHttp.Answer put = send("PUT", "/api/v2/workflows/cors", "Authorization: Bearer " + operator
                + "\r\nContent-Type: application/yaml\r\n", "id: cors\nsteps:\n  - {id: a, type: log, message: hi}\n");
        assertThat(put.status()).as(put.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static RawHttp.Answer send(String method, String path, String headers, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return RawHttp.exchange(server.port(), (method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                + headers + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
    }

    static void assertCors(RawHttp.Answer answer) {
        assertThat(answer.header("Access-Control-Allow-Origin")).as("%s %s", answer.status(), answer.body()).isEqualTo(PAGE);
        assertThat(answer.header("Vary")).contains("Origin");
        assertThat(answer.header("Access-Control-Expose-Headers")).contains("Retry-After", "Location", "WWW-Authenticate");
        assertThat(answer.header("Access-Control-Allow-Credentials")).as("bearer tokens, not cookies").isNull();
    }

    static void assertNoCors(RawHttp.Answer answer) {
        for (String header : List.of("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers", "Access-Control-Max-Age")) {
            assertThat(answer.header(header)).as("%s on %s %s", header, answer.status(), answer.body()).isNull();
        }
    }

    @Test
    void restAnswersToAListedOriginCarryCorsHeaders() {
        RawHttp.Answer read = send("GET", "/api/v2/workflows", "Origin: " + PAGE + "\r\nAuthorization: Bearer " + operator + "\r\n", "");
        assertThat(read.status()).isEqualTo(200);
        assertCors(read);

        RawHttp.Answer executed = send("POST", "/api/v2/workflows/cors/execute", "Origin: " + PAGE + "\r\nAuthorization: Bearer "
                + operator + "\r\nContent-Type: application/json\r\n", "{}");
        assertThat(executed.status()).as(executed.body()).isEqualTo(202);
        assertCors(executed);
        assertThat(executed.header("Location")).startsWith("/api/v2/workflows/runs/");

        RawHttp.Answer unauthenticated = send("GET", "/api/v2/workflows", "Origin: " + PAGE + "\r\n", "");
        assertThat(unauthenticated.status()).isEqualTo(401);
        assertCors(unauthenticated);
        assertThat(unauthenticated.json().path("error").path("code").asText()).isEqualTo("unauthenticated");
    }

    @Test
    void aPreflightFromAListedOriginIsAnswered() {
        RawHttp.Answer preflight = send("OPTIONS", "/api/v2/workflows/cors/execute", "Origin: " + PAGE
                + "\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n", "");
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(PAGE);
        assertThat(preflight.header("Access-Control-Allow-Methods")).contains("GET", "POST", "PUT", "DELETE");
        assertThat(preflight.header("Access-Control-Allow-Headers")).contains("Authorization", "Content-Type", "Last-Event-ID");
        assertThat(preflight.header("Access-Control-Max-Age")).isEqualTo("600");
        assertThat(preflight.header("Vary")).contains("Origin", "Access-Control-Request-Method");
    }

    /**
     * The point of it: an EventSource-like client of a listed page can read why its stream was
     * refused (no such run, no token, too many opens) instead of retrying blind.
     */
    @Test
    void sseRefusalsToAListedOriginCarryCorsHeaders() {
        String sse = "Origin: " + PAGE + "\r\nAccept: text/event-stream\r\n";
        String unknown = "/api/v2/workflows/runs/" + UUID.randomUUID() + "/events";

        RawHttp.Answer noToken = send("GET", unknown, sse, "");
        assertThat(noToken.status()).isEqualTo(401);
        assertCors(noToken);

        RawHttp.Answer notFound = send("GET", unknown + "?access_token=" + operator, sse, "");
        assertThat(notFound.status()).isEqualTo(404);
        assertCors(notFound);
        assertThat(notFound.json().path("error").path("code").asText()).isEqualTo("run_not_found");

        RawHttp.Answer limited = send("GET", unknown + "?access_token=" + operator, sse, "");
        for (int i = 0; i < 5 && limited.status() != 429; i++) {
            limited = send("GET", unknown + "?access_token=" + operator, sse, "");
        }
        assertThat(limited.status()).isEqualTo(429);
        assertCors(limited);
        assertThat(limited.header("Retry-After")).isNotBlank();
    }

    @Test
    void anOriginNotListedGetsNoCorsHeaders() {
        RawHttp.Answer read = send("GET", "/api/v2/workflows", "Origin: " + ELSEWHERE + "\r\nAuthorization: Bearer " + operator + "\r\n", "");
        assertThat(read.status()).isEqualTo(200);
        assertNoCors(read);
        RawHttp.Answer refused = send("GET", "/api/v2/workflows/runs/" + UUID.randomUUID() + "/events",
                "Origin: " + ELSEWHERE + "\r\nAccept: text/event-stream\r\n", "");
        assertThat(refused.status()).as("a stream from a page elsewhere is refused before its credentials are looked at").isEqualTo(403);
        assertThat(refused.json().path("error").path("code").asText()).isEqualTo("origin_not_allowed");
        assertNoCors(refused);
        RawHttp.Answer preflight = send("OPTIONS", "/api/v2/workflows/cors/execute", "Origin: " + ELSEWHERE
                + "\r\nAccess-Control-Request-Method: POST\r\n", "");
        assertThat(preflight.status()).isNotEqualTo(204);
        assertNoCors(preflight);
        RawHttp.Answer noOrigin = send("GET", "/api/v2/workflows", "Authorization: Bearer " + operator + "\r\n", "");
        assertNoCors(noOrigin);
        assertThat(List.of(read, refused, noOrigin)).as("a cache must not serve them to a listed origin")
                .allSatisfy(answer -> assertThat(answer.header("Vary")).isEqualTo("Origin"));
    }
}
