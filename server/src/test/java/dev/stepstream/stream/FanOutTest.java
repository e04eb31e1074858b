package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many subscribers of one live run all see the same thing: the run's history, in full.
 *
 * <p>The 500 clients are Vert.x's (the server library's) WebSocket client. The JDK's
 * java.net.http client, which the other stream tests use, loses bytes of a busy stream now and
 * then on a loaded machine and fails with "Unexpected rsv bit", with any server:
 * bench/JdkWebSocketRace.java shows it against a plain socket server. 500 of them at once made
 * this test fail for the client's sake, not the server's.
 */
@Timeout(120)
class FanOutTest {
    static final int SUBSCRIBERS = 500;

    @TempDir
    Path dir;

    /** One client's frames, in order, and the close code it got (-1: no close frame). */
    record Follower(List<String> frames, CompletableFuture<Integer> closed) {
        List<String> envelopes() {
            return frames.stream().filter(frame -> frame.startsWith("{\"runId\"")).toList();
        }

        List<JsonNode> caughtUps() {
            return frames.stream().filter(frame -> frame.startsWith("{\"type\":\"caught_up\"")).map(frame -> Json.parseTrusted(frame.getBytes(java.nio.charset.StandardCharsets.UTF_8))).toList();
        }
    }

    @Test
    void fiveHundredConcurrentSubscribersOfOneRunAllReceiveTheSameSequenceEqualToTheHistory() throws Exception {
        Vertx vertx = Vertx.vertx();
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(SUBSCRIBERS).setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-lines.yaml"));
            String runId = server.execute("st-lines", "{\"lines\": 2000, \"every\": 20, \"nap\": \"0.05\"}");

            List<Follower> followers = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                Follower follower = new Follower(Collections.synchronizedList(new ArrayList<>()), new CompletableFuture<>());
                followers.add(follower);
                client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
                                .setURI("/api/v2/workflows/runs/" + runId + "/stream"))
                        .onSuccess(socket -> {
                            socket.textMessageHandler(follower.frames()::add);
                            socket.closeHandler(ignored -> follower.closed().complete(
                                    socket.closeStatusCode() == null ? -1 : (int) socket.closeStatusCode()));
                        })
                        .onFailure(follower.closed()::completeExceptionally);
            }
            for (Follower follower : followers) {
                assertThat(follower.closed().get(60, TimeUnit.SECONDS)).as("close code").isEqualTo(1000);
            }
            List<String> history = server.awaitRawHistory(runId);
            assertThat(history).hasSizeGreaterThan(2000);

            int joinedLive = 0;
            for (int i = 0; i < followers.size(); i++) {
                Follower follower = followers.get(i);
                List<String> received = follower.envelopes();
                if (!received.equals(history)) {
                    assertThat(received).as("subscriber %d", i).containsExactlyElementsOf(history);
                }
                assertThat(follower.caughtUps()).as("subscriber %d's caught_up", i).hasSize(1);
                JsonNode caughtUp = follower.caughtUps().getFirst();
                assertThat(caughtUp.path("runId").asText()).isEqualTo(runId);
                if (caughtUp.path("payload").path("seq").asLong() < history.size()) {
                    joinedLive++;
                }
            }
            assertThat(joinedLive).as("subscribers that caught up while the run was still live").isPositive();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
