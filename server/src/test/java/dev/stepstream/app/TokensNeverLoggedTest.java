package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Whatever a client sends as credentials, good or bad, and however, none of it reaches the server's output. */
@Timeout(90)
class TokensNeverLoggedTest {
    @Test
    void tokensInEveryFormNeverAppearInTheServersOutput(@TempDir Path dir) throws Exception {
        Path tokens = dir.resolve("tokens");
        String admin = TokenFile.create(tokens, "admin", Role.ADMIN);
        String secret = "the HS256 secret that must stay out of logs";
        String guess = "ss_aGuessThatIsNotAToken0123456789abcdefghij";
        HttpClient http = HttpClient.newHttpClient();
        try (ChildServer server = ChildServer.start(dir, "--tokens-file", tokens.toString(), "--jwt-secret", secret)) {
            int port = URI.create(server.url()).getPort();
            for (String token : new String[] {admin, guess}) {
                http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows")).header("Authorization", "Bearer " + token)
                        .build(), HttpResponse.BodyHandlers.discarding());
                http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/nope?access_token=" + token)).build(),
                        HttpResponse.BodyHandlers.discarding());
                RawHttp.upgrade(port, "/api/v2/stream", Map.of("Sec-WebSocket-Protocol", "stepstream.v2, stepstream.bearer." + token));
                RawHttp.upgrade(port, "/api/v2/workflows/runs/not-a-uuid/stream?access_token=" + token);
            }
            http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/x")).header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString("id: x\nsteps: [")).build(),
                    HttpResponse.BodyHandlers.discarding());
            String created = TokenFile.create(tokens, "later", Role.VIEWER);
            Await.until("the server reads the tokens file again", Duration.ofSeconds(15),
                    () -> server.output().contains("tokens file") ? true : null);
            assertThat(server.output()).contains("stepstream listening on")
                    .doesNotContain(admin, guess, created, secret, admin.substring(3, 20), guess.substring(3, 20));
        }
    }
}
