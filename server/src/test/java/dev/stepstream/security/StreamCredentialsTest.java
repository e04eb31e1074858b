package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A stream's credentials: how they may be sent, and that the stream ends when they do. */
@Timeout(60)
class StreamCredentialsTest {
    static final String SECRET = "an HS256 secret of at least thirty-two bytes";
    static final String SLOW = "id: slow\nsteps:\n  - {id: wait, type: sleep, duration: 60s}\n";

    @TempDir
    static Path dir;
    static TestServer server;
    static Path tokens;
    static String viewer;
    static String admin;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        tokens = dir.resolve("tokens");
        viewer = TokenFile.create(tokens, "watcher", Role.VIEWER);
        admin = TokenFile.create(tokens, "boss", Role.ADMIN);
        server = TestServer.start(dir, config -> config.withSecurity(config.security().withTokensFile(tokens).withJwtSecret(SECRET)));
        TestServer.Response put = server.send(server.request("/api/v2/workflows/slow").header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(SLOW)));
        assertThat(put.status()).as(put.text()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String execute() {
        TestServer.Response run = server.send(server.request("/api/v2/workflows/slow/execute")
                .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(run.status()).as(run.text()).isEqualTo(202);
        return run.body().path("runId").asText();
    }

    static String jwt(String subject, String role, Instant expires, String secret) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                .subject(subject).claim("role", role).expirationTime(Date.from(expires)).build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void aRunStreamTakesTheTokenAsAHeaderASubprotocolOrAParameter() {
        String runId = execute();
        try (WsClient byHeader = WsClient.connect(HTTP, server.streamUrl(runId, ""),
                builder -> builder.header("Authorization", "Bearer " + viewer));
             WsClient bySubprotocol = WsClient.connect(HTTP, server.streamUrl(runId, ""),
                     builder -> builder.subprotocols("stepstream.v2", "stepstream.bearer." + viewer));
             WsClient byParameter = WsClient.connect(HTTP, server.streamUrl(runId, "access_token=" + viewer))) {
            for (WsClient client : java.util.List.of(byHeader, bySubprotocol, byParameter)) {
                client.awaitType("caught_up");
            }
            assertThat(bySubprotocol.subprotocol()).as("the server answers with stepstream.v2, never the token")
                    .isEqualTo("stepstream.v2");
        }
    }

    @Test
    void aStreamWithoutOrWithABadTokenIsRefusedBeforeTheUpgrade() {
        String path = "/api/v2/workflows/runs/" + execute() + "/stream";
        RawHttp.Answer none = RawHttp.upgrade(server.port(), path);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().path("error").path("code").asText()).isEqualTo("unauthenticated");
        RawHttp.Answer bad = RawHttp.upgrade(server.port(), path, Map.of("Sec-WebSocket-Protocol", "stepstream.v2, stepstream.bearer.ss_guess"));
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.json().path("error").path("code").asText()).isEqualTo("invalid_token");
        assertThat(bad.body()).doesNotContain("ss_guess");
    }

    @Test
    void anSseStreamTakesTheTokenAsAParameter() {
        String runId = execute();
        try (SseClient events = SseClient.open(HTTP, java.net.URI.create(server.url() + "/api/v2/workflows/runs/" + runId
                + "/events?access_token=" + viewer), Map.of())) {
            assertThat(events.status()).isEqualTo(200);
        }
        try (SseClient refused = SseClient.open(HTTP, java.net.URI.create(server.url() + "/api/v2/workflows/runs/" + runId
                + "/events"), Map.of())) {
            assertThat(refused.status()).isEqualTo(401);
        }
    }

    @Test
    void aJwtsStreamIsClosedWith1008AtItsExpiry() throws Exception {
        String runId = execute();
        Instant expires = Instant.now().plusSeconds(3).truncatedTo(java.time.temporal.ChronoUnit.SECONDS); // exp is in seconds
        String token = jwt("alice", "viewer", expires, SECRET);
        try (WsClient client = WsClient.connect(HTTP, server.streamUrl(runId, ""),
                builder -> builder.header("Authorization", "Bearer " + token))) {
            client.awaitType("caught_up");
            WsClient.Close close = client.awaitClose(Duration.ofSeconds(15));
            assertThat(close.code()).isEqualTo(1008);
            assertThat(Instant.now()).isAfterOrEqualTo(expires.minusMillis(50));
        }
        RawHttp.Answer again = RawHttp.upgrade(server.port(), "/api/v2/workflows/runs/" + runId + "/stream",
                Map.of("Authorization", "Bearer " + token));
        assertThat(again.status()).isEqualTo(401);
        assertThat(again.json().path("error").path("message").asText()).isEqualTo("the token has expired");
    }

    @Test
    void aJwtsEventStreamEndsAtItsExpiry() throws Exception {
        String runId = execute();
        Instant expires = Instant.now().plusSeconds(3).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        String token = jwt("erin", "viewer", expires, SECRET);
        try (SseClient events = SseClient.open(HTTP, java.net.URI.create(server.url() + "/api/v2/workflows/runs/" + runId + "/events"),
                Map.of("Authorization", "Bearer " + token))) {
            assertThat(events.status()).isEqualTo(200);
            events.awaitEnd(Duration.ofSeconds(15));
            assertThat(Instant.now()).isAfterOrEqualTo(expires.minusMillis(50));
        }
    }

    @Test
    void aJwtSignedWithAnotherSecretOrWithoutARoleIsRefused() throws Exception {
        Instant later = Instant.now().plusSeconds(600);
        for (String token : java.util.List.of(jwt("mallory", "admin", later, "another secret that is long enough, really"),
                jwt("bob", "superuser", later, SECRET))) {
            TestServer.Response answer = server.send(server.request("/api/v2/workflows").header("Authorization", "Bearer " + token));
            assertThat(answer.status()).as(answer.text()).isEqualTo(401);
            assertThat(answer.body().path("error").path("code").asText()).isEqualTo("invalid_token");
        }
        TestServer.Response ok = server.send(server.request("/api/v2/workflows")
                .header("Authorization", "Bearer " + jwt("carol", "viewer", later, SECRET)));
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void aRevokedTokensStreamsAreClosedWith1008() throws IOException {
        String runId = execute();
        String temporary = TokenFile.create(tokens, "temporary", Role.VIEWER);
        dev.stepstream.testing.Await.until("the server reads the new token", Duration.ofSeconds(15), () -> server.send(
                server.request("/api/v2/workflows").header("Authorization", "Bearer " + temporary)).status() == 200 ? true : null);
        try (WsClient client = WsClient.connect(HTTP, server.streamUrl(runId, ""),
                builder -> builder.header("Authorization", "Bearer " + temporary))) {
            client.awaitType("caught_up");
            assertThat(TokenFile.revoke(tokens, "temporary")).isTrue();
            assertThat(client.awaitClose(Duration.ofSeconds(15)).code()).isEqualTo(1008);
        }
        TestServer.Response after = server.send(server.request("/api/v2/workflows").header("Authorization", "Bearer " + temporary));
        assertThat(after.status()).isEqualTo(401);
    }
}
