package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.security.Role;
import dev.stepstream.security.TokenFile;
import dev.stepstream.stream.StreamSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code DELETE /api/v2/workflows/runs/{runId}}: a finished run goes with its history, and its open streams end. */
@Timeout(180)
class RunDeletionTest {
    /** Enough lines that a client which stops reading holds the server's replay of the history mid-way. */
    static final int LINES = 100_000;

    @TempDir
    static Path dir;
    static TestServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        // A stalled reader is closed with 1013 after the write timeout: longer than these tests hold one.
        StreamSettings patient = new StreamSettings(StreamSettings.DEFAULTS.pingInterval(), StreamSettings.DEFAULTS.idleTimeout(),
                Duration.ofSeconds(90), StreamSettings.DEFAULTS.sseKeepAlive());
        server = TestServer.start(dir.resolve("server"), config -> config.withStreams(patient));
        server.apply("id: quick\nsteps:\n  - {id: a, type: set, vars: {x: 1}}\n  - {id: b, type: log, message: hi}\n");
        server.apply("id: gated\nsteps:\n  - {id: gate, type: approval, message: \"go?\"}\n");
        server.apply("id: slow\nsteps:\n  - {id: wait, type: sleep, duration: 60s}\n");
        server.apply(Yaml.fixture("st-flood.yaml"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String runPath(String runId) {
        return "/api/v2/workflows/runs/" + runId;
    }

    private String finishedFlood() {
        String runId = server.execute("st-flood", "{\"lines\": " + LINES + "}");
        assertThat(server.awaitEnd(runId, Duration.ofSeconds(120)).path("status").asText()).isEqualTo("success");
        return runId;
    }

    @Test
    void aFinishedRunIsDeletedWithItsHistoryAndCannotBeStreamed() {
        String runId = server.execute("quick", null);
        server.awaitEnd(runId);
        String kept = server.execute("quick", null);
        server.awaitEnd(kept);
        double deletedBefore = Scrape.of(server).value("stepstream_runs_deleted_total", "reason=request");

        TestServer.Response deleted = server.delete(runPath(runId));

        assertThat(deleted.status()).as(deleted.text()).isEqualTo(204);
        assertThat(deleted.text()).isEmpty();
        assertThat(Scrape.of(server).value("stepstream_runs_deleted_total", "reason=request")).isEqualTo(deletedBefore + 1);
        TestServer.Response run = server.get(runPath(runId));
        assertThat(run.status()).isEqualTo(404);
        assertThat(run.body().path("error").path("code").asText()).isEqualTo("run_not_found");
        assertThat(server.get(runPath(runId) + "/events").status()).isEqualTo(404);
        assertThat(server.send(server.request(runPath(runId) + "/events").header("Accept", "text/event-stream").GET()).status())
                .isEqualTo(404);
        assertThat(WsClient.refusedStatus(http, server.streamUrl(runId, ""))).isEqualTo(404);
        assertThat(server.get("/api/v2/workflows/runs?limit=500").body().path("runs"))
                .extracting(summary -> summary.path("runId").asText()).contains(kept).doesNotContain(runId);
        assertThat(server.events(kept)).as("another run's history is whole").hasSize(server.run(kept).path("lastSeq").asInt());
        assertThat(server.delete(runPath(runId)).status()).as("deleted already").isEqualTo(404);
    }

    @Test
    void aRunThatWaitsOrRunsIsNotDeletedAndSaysWhy() {
        String waiting = server.execute("gated", null);
        String running = server.execute("slow", null);
        awaitStatus(waiting, "waiting");
        awaitStatus(running, "running");

        for (String[] run : new String[][] {{waiting, "waiting"}, {running, "running"}}) {
            TestServer.Response refused = server.delete(runPath(run[0]));
            assertThat(refused.status()).as(refused.text()).isEqualTo(409);
            JsonNode error = refused.body().path("error");
            assertThat(error.path("code").asText()).isEqualTo("run_not_finished");
            assertThat(error.path("details").path("status").asText()).isEqualTo(run[1]);
            assertThat(error.path("message").asText()).contains(run[0]).contains(run[1]);
            assertThat(server.get(runPath(run[0])).status()).as("still there").isEqualTo(200);
        }

        for (String runId : new String[] {waiting, running}) {
            assertThat(server.post(runPath(runId) + "/cancel", "").status()).isEqualTo(202);
            server.awaitEnd(runId);
            assertThat(server.delete(runPath(runId)).status()).as("once it has ended").isEqualTo(204);
        }
    }

    @Test
    void anUnknownRunIsNotFoundAndAMalformedIdIsABadRequest() {
        String unknown = UUID.randomUUID().toString();
        TestServer.Response missing = server.delete(runPath(unknown));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("error").path("code").asText()).isEqualTo("run_not_found");
        assertThat(missing.body().path("error").path("message").asText()).contains(unknown);

        TestServer.Response malformed = server.delete(runPath("not-a-uuid"));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().path("error").path("code").asText()).isEqualTo("invalid_run_id");
        assertThat(malformed.body().path("error").path("message").asText()).startsWith("runId: expected a UUID");
    }

    @Test
    void aWebSocketReplayingTheHistoryEndsWithRunDeletedInsteadOfItsEnd() {
        String runId = finishedFlood();
        WsClient stalled = WsClient.connect(http, server.streamUrl(runId, ""), 5);
        stalled.awaitMessages("the first frames", messages -> messages.size() >= 5, Duration.ofSeconds(30));

        assertThat(server.delete(runPath(runId)).status()).isEqualTo(204);
        stalled.resume();

        WsClient.Close close = stalled.awaitClose(Duration.ofSeconds(60));
        assertThat(close.code()).as("%s", close).isEqualTo(1000);
        assertThat(close.reason()).isEqualTo("run deleted");
        assertThat(stalled.envelopes()).as("cut short: no run_complete").isNotEmpty().hasSizeLessThan(LINES)
                .noneSatisfy(envelope -> assertThat(envelope.path("type").asText()).isEqualTo("run_complete"));
        assertThat(stalled.envelopes().getLast().path("seq").asLong()).isEqualTo(stalled.envelopes().size());
    }

    @Test
    void anEventStreamReplayingTheHistoryEndsAsAStreamEnds() throws IOException {
        String runId = finishedFlood();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET " + runPath(runId) + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            socket.setSoTimeout(60_000); // each read's deadline: a blocking read, not a guessed pause
            while (!body.toString(StandardCharsets.UTF_8).contains("event: step_log")) { // the head, then the first events
                int read = in.read(buffer);
                assertThat(read).as("the stream ended before its first step_log").isPositive();
                body.write(buffer, 0, read);
            } // then it reads no more for a while

            assertThat(server.delete(runPath(runId)).status()).isEqualTo(204);

            byte[] last = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            while (!endsWith(body.toByteArray(), last)) {
                int read = in.read(buffer);
                assertThat(read).as("the connection was cut, not ended, after %d bytes", body.size()).isPositive();
                body.write(buffer, 0, read);
            }
            String text = body.toString(StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200").contains("event: step_log").doesNotContain("event: run_complete");
        }
    }

    @Test
    void aLogDownloadOfARunDeletedMidwayIsCutNotEnded() throws IOException {
        String runId = finishedFlood();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET " + runPath(runId) + "/log HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            socket.setSoTimeout(60_000); // each read's deadline: a blocking read, not a guessed pause
            while (!body.toString(StandardCharsets.UTF_8).contains(" INFO ")) { // the head, then the first lines
                int read = in.read(buffer);
                assertThat(read).as("the download ended before its first line").isPositive();
                body.write(buffer, 0, read);
            } // then it reads no more for a while

            assertThat(server.delete(runPath(runId)).status()).isEqualTo(204);

            int read;
            while ((read = in.read(buffer)) >= 0) {
                body.write(buffer, 0, read);
            }
            String text = body.toString(StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200");
            assertThat(endsWith(body.toByteArray(), "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                    .as("cut without the last chunk after %d bytes, so that no client takes it for the whole log", body.size())
                    .isFalse();
        } catch (java.net.SocketException reset) {
            // a reset is a cut too
        }
    }

    @Test
    void onlyAnAdminMayDeleteARun() throws IOException {
        Path tokens = dir.resolve("tokens");
        String operator = TokenFile.create(tokens, "ops", Role.OPERATOR);
        String admin = TokenFile.create(tokens, "boss", Role.ADMIN);
        try (TestServer guarded = TestServer.start(dir.resolve("guarded"),
                config -> config.withSecurity(config.security().withTokensFile(tokens)))) {
            TestServer.Response put = guarded.send(guarded.request("/api/v2/workflows/quick").header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/yaml")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("id: quick\nsteps:\n  - {id: a, type: log, message: hi}\n")));
            assertThat(put.status()).as(put.text()).isEqualTo(201);
            TestServer.Response executed = guarded.send(guarded.request("/api/v2/workflows/quick/execute")
                    .header("Authorization", "Bearer " + operator).POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
            String runId = executed.body().path("runId").asText();
            Await.until("run " + runId + " ends", Duration.ofSeconds(30), () -> TestServer.TERMINAL.contains(guarded.send(
                    guarded.request(runPath(runId)).header("Authorization", "Bearer " + operator).GET()).body().path("status").asText())
                    ? true : null);

            TestServer.Response forbidden = guarded.send(guarded.request(runPath(runId)).header("Authorization", "Bearer " + operator).DELETE());
            assertThat(forbidden.status()).as(forbidden.text()).isEqualTo(403);
            assertThat(guarded.send(guarded.request(runPath(runId)).DELETE()).status()).as("no token").isEqualTo(401);
            TestServer.Response deleted = guarded.send(guarded.request(runPath(runId)).header("Authorization", "Bearer " + admin).DELETE());
            assertThat(deleted.status()).as(deleted.text()).isEqualTo(204);
        }
    }

    private static boolean endsWith(byte[] bytes, byte[] end) {
        return bytes.length >= end.length && Arrays.equals(bytes, bytes.length - end.length, bytes.length, end, 0, end.length);
    }

    private static void awaitStatus(String runId, String status) {
        Await.until("run " + runId + " is " + status, Duration.ofSeconds(30),
                () -> server.run(runId).path("status").asText().equals(status) ? true : null);
    }
}
