package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A secret a run prints, fails with and stores, or a client sends in a query, reaches none of the server's own output, even with its step logs echoed there. */
@Timeout(90)
class SecretsNeverLoggedTest {
    private static final String VALUE = "never-in-a-log-line-42";

    @Test
    void aSecretARunPrintsNeverAppearsInTheServersOutput(@TempDir Path dir) throws Exception {
        for (String format : List.of("text", "json")) {
            try (ChildServer server = ChildServer.start(dir.resolve(format), "--allow-scripts", "--echo-step-logs",
                    "--log-format", format)) {
                NodeApi.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/secrets/TOKEN"))
                        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"" + VALUE + "\"}")));
                NodeApi.put(server, """
                        id: loud
                        steps:
                          - {id: print, type: script, env: {T: "${secrets.TOKEN}"}, run: 'echo "out $T"; echo "err $T" >&2'}
                          - {id: keep, type: set, vars: {t: "${secrets.TOKEN}"}}
                          - {id: boom, type: fail, message: "failed with ${secrets.TOKEN}"}
                        """);
                String runId = NodeApi.execute(server, "loud", null);
                JsonNode run = NodeApi.awaitEnd(server, runId);
                assertThat(run.path("status").asText()).isEqualTo("failed");
                // A value in a request's query (a search, a webhook's query input): the access log masks it.
                NodeApi.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/workflows/runs/" + runId + "/events?q=" + VALUE)));
                NodeApi.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v2/hooks/loud/none?tag=" + VALUE))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")));
                assertThat(server.output()).as("the step logs were echoed").contains("out ***");
                dev.stepstream.testing.Await.until("the access log's lines of both", java.time.Duration.ofSeconds(20), () ->
                        server.output().contains("events?q=*** 200") && server.output().contains("none?tag=*** 404") ? true : null);
                assertThat(server.output()).doesNotContain(VALUE, VALUE.substring(0, 12));
            }
        }
    }
}
