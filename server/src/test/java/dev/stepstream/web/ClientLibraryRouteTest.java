package dev.stepstream.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.RepositoryFiles;
import dev.stepstream.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page follows runs with clients/js, which the server serves as built into the jar: the same file, a module. */
class ClientLibraryRouteTest {
    @Test
    void theServerServesClientsJsAsTheStepstreamClientModule(@TempDir Path dir) throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            HttpResponse<String> module = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.url() + "/stepstream-client.mjs")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(module.statusCode()).isEqualTo(200);
            assertThat(module.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(module.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(module.body()).isEqualTo(Files.readString(RepositoryFiles.path("clients/js/index.mjs")));
        }
    }
}
