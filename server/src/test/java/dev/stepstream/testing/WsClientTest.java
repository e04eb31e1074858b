package dev.stepstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test client itself, against a bare Vert.x WebSocket server: the stream tests rely on a
 * paused client really pushing back on the server, and on batched frames being split.
 */
@Timeout(60)
class WsClientTest {
    static final int MESSAGES = 100_000;
    static final int BATCHED = 3_000;
    /** Makes a message about as long as a typical envelope. */
    static final String PADDING = "x".repeat(150);

    Vertx vertx;
    HttpServer server;
    final HttpClient http = HttpClient.newHttpClient();
    final AtomicInteger written = new AtomicInteger();
    final CompletableFuture<Integer> writtenWhenQueueFilled = new CompletableFuture<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().webSocketHandler(this::flood).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Writes numbered messages while the socket takes them; "/batch" sends them three a frame. */
    private void flood(ServerWebSocket socket) {
        boolean batched = socket.path().equals("/batch");
        int total = batched ? BATCHED : MESSAGES;
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (written.get() < total) {
                if (socket.writeQueueFull()) {
                    writtenWhenQueueFilled.complete(written.get());
                    socket.drainHandler(v -> pump[0].run());
                    return;
                }
                int n = written.incrementAndGet();
                if (batched) {
                    written.addAndGet(2);
                    socket.writeTextMessage("{\"seq\":" + n + "}\n{\"seq\":" + (n + 1) + "}\n{\"seq\":" + (n + 2) + "}");
                } else {
                    socket.writeTextMessage("{\"seq\":" + n + ",\"padding\":\"" + PADDING + "\"}");
                }
            }
            socket.close((short) 1000, "done");
        };
        vertx.setTimer(50, id -> pump[0].run()); // after the handshake has completed
    }

    private URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + server.actualPort() + path);
    }

    @Test
    void aPausedClientPushesBackOnTheServerAndGetsEverythingWhenItReadsAgain() {
        try (WsClient client = WsClient.connect(http, uri("/"), 10)) {
            int whenFull = Await.until("the server's write queue fills (" + written + " written)", Duration.ofSeconds(20),
                    () -> writtenWhenQueueFilled.getNow(null));
            assertThat(whenFull).isLessThan(MESSAGES);
            assertThat(client.messageCount()).isEqualTo(10);

            client.resume();
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            var envelopes = client.envelopes();
            assertThat(envelopes).hasSize(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                assertThat(envelopes.get(i).path("seq").asInt()).isEqualTo(i + 1);
            }
        }
    }

    @Test
    void batchedFramesAreSplitIntoOneMessagePerLine() {
        try (WsClient client = WsClient.connect(http, uri("/batch?batch=1"))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            assertThat(client.frames()).hasSize(BATCHED / 3);
            assertThat(client.messages()).hasSize(BATCHED).allSatisfy(m -> assertThat(m.malformed()).isFalse());
            assertThat(client.lastSeq(0)).isEqualTo(BATCHED);
        }
    }
}
