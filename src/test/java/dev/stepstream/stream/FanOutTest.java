package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many subscribers of one live run all see the same thing: the run's history, in full. */
@Timeout(120)
class FanOutTest {
    static final int SUBSCRIBERS = 500;

    @TempDir
    Path dir;

    @Test
    void fiveHundredConcurrentSubscribersOfOneRunAllReceiveTheSameSequenceEqualToTheHistory() {
        HttpClient http = HttpClient.newHttpClient(); // one client, many connections
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-lines.yaml"));
            String runId = server.execute("st-lines", "{\"lines\": 2000, \"every\": 20, \"nap\": \"0.05\"}");

            List<CompletableFuture<WsClient>> opening = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                opening.add(WsClient.open(http, server.streamUrl(runId, ""), Integer.MAX_VALUE));
            }
            List<WsClient> clients = opening.stream().map(CompletableFuture::join).toList();
            try {
                for (WsClient client : clients) {
                    WsClient.Close close = client.awaitClose(Duration.ofSeconds(60));
                    assertThat(close.code()).as("close of %s (%s)", client.uri(), close.error()).isEqualTo(1000);
                }
                List<String> history = server.awaitRawHistory(runId);
                assertThat(history).hasSizeGreaterThan(2000);

                int joinedLive = 0;
                for (int i = 0; i < clients.size(); i++) {
                    WsClient client = clients.get(i);
                    List<String> received = client.envelopeTexts();
                    if (!received.equals(history)) {
                        assertThat(received).as("subscriber %d", i).containsExactlyElementsOf(history);
                    }
                    JsonNode caughtUp = Envelopes.assertCaughtUpOnce(client, runId);
                    if (caughtUp.path("payload").path("seq").asLong() < history.size()) {
                        joinedLive++;
                    }
                }
                assertThat(joinedLive).as("subscribers that caught up while the run was still live").isPositive();
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }
}
