package dev.stepstream.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.stream.CloseCode;
import dev.stepstream.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The close-code table that the client libraries are checked against is the server's CloseCode, as a module it serves. */
class CloseCodesModuleTest {
    @Test
    void theModuleHasEveryCloseCodeAndWhetherItReconnects(@TempDir Path dir) throws Exception {
        try (TestServer server = TestServer.start(dir)) {
            HttpResponse<String> module = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.url() + "/closecodes.mjs")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(module.statusCode()).isEqualTo(200);
            assertThat(module.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/javascript"));
            for (CloseCode code : CloseCode.values()) {
                assertThat(module.body()).contains(code.code() + ": Object.freeze({ name: '" + code.name() + "', reconnect: "
                        + code.reconnect() + " })");
            }
        }
    }
}
