package dev.stepstream.stream;

import static dev.stepstream.stream.Envelopes.assertCaughtUpOnce;
import static dev.stepstream.stream.Envelopes.assertWellFormed;
import static dev.stepstream.stream.Envelopes.assertWholeStream;
import static dev.stepstream.testing.TestServer.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One run's WebSocket stream, read by real clients: history, then live, with no gap and no duplicate. */
@Timeout(120)
class RunStreamTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply(Yaml.fixture("st-story.yaml"));
        server.apply(Yaml.fixture("st-lines.yaml"));
        server.apply(Yaml.fixture("st-quiet.yaml"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aFinishedRunsStreamIsItsHistoryThenCaughtUpThenClose1000() {
        String runId = server.execute("st-story", null);
        server.awaitEnd(runId);
        List<String> history = server.awaitRawHistory(runId);

        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            List<WsClient.Message> messages = client.messages();
            assertThat(messages).as("the history, then caught_up, then nothing").hasSize(history.size() + 1);
            assertThat(messages.subList(0, history.size())).extracting(WsClient.Message::text)
                    .as("each envelope byte for byte as the events endpoint has it").containsExactlyElementsOf(history);
            JsonNode caughtUp = messages.get(history.size()).json();
            assertThat(caughtUp.path("type").asText()).isEqualTo("caught_up");
            assertThat(caughtUp.path("runId").asText()).isEqualTo(runId);
            assertThat(caughtUp.path("payload").path("seq").asLong()).isEqualTo(history.size());
            assertThat(caughtUp.has("seq")).isFalse();
        }

        // A client that already has it all gets caught_up and the close, nothing else.
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, "after=" + history.size()))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            assertThat(client.messages()).extracting(WsClient.Message::type).containsExactly("caught_up");
            assertCaughtUpOnce(client, runId, history.size());
        }
    }

    @Test
    void aSubscriberWhoJoinsMidRunGetsTheHistoryThenCaughtUpThenTheRestLive() throws IOException {
        // st-story with its pause held by a gate file: the run cannot end before the client has caught up.
        Path gate = dir.resolve("mid-run-gate");
        String sleep = "    type: sleep\n    duration: \"${inputs.pause}\"\n";
        String gated = "    type: script\n    run: 'while [ ! -f %s ]; do sleep 0.02; done'\n".formatted(gate);
        String story = Yaml.fixture("st-story.yaml");
        assertThat(story).contains(sleep);
        server.apply(story.replace("id: st-story", "id: st-story-gated").replace(sleep, gated));
        String runId = server.execute("st-story-gated", null);
        // Mid-run: the pause has begun, so the history so far is there and more is to come.
        List<JsonNode> before = Await.until("the run reaches its pause", Duration.ofSeconds(20), () -> {
            List<JsonNode> events = server.events(runId);
            return events.stream().anyMatch(e -> e.path("type").asText().equals("step_start")
                    && e.path("payload").path("stepId").asText().equals("pause")) ? events : null;
        });

        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            JsonNode caughtUp = client.awaitType("caught_up");
            long seenAtCaughtUp = caughtUp.path("payload").path("seq").asLong();
            assertThat(seenAtCaughtUp).as("caught up with the history before the end").isGreaterThanOrEqualTo(before.size());
            Files.writeString(gate, "open");

            List<String> history = server.awaitRawHistory(runId);
            assertThat(seenAtCaughtUp).as("the run was still live when the client caught up").isLessThan(history.size());
            assertWholeStream(client, history, runId);
            assertWellFormed(client.envelopes(), runId, 1);
            assertThat(typeOf(client.envelopeTexts().get(client.envelopeTexts().size() - 1))).isEqualTo("run_complete");
        }
    }

    @Test
    void clientsJoiningOrResumingAFollowedRunDoNotEachReadTheStore() throws IOException {
        // A run kept live and quiet by a gate file, followed by one client while twenty join:
        // ten from the start, ten resuming from its last event.
        Path gate = dir.resolve("join-gate");
        server.apply("""
                id: st-join-gated
                steps:
                  - {id: hello, type: log, message: hello}
                  - {id: hold, type: script, run: 'while [ ! -f %s ]; do sleep 0.02; done'}
                  - {id: bye, type: log, message: bye}
                """.formatted(gate));
        String runId = server.execute("st-join-gated", null);
        long last = Await.until("the run holds at its gate", Duration.ofSeconds(20), () -> {
            List<JsonNode> events = server.events(runId);
            return events.stream().anyMatch(e -> e.path("type").asText().equals("step_start")
                    && e.path("payload").path("stepId").asText().equals("hold")) ? (long) events.size() : null;
        });
        List<WsClient> joined = new ArrayList<>();
        List<WsClient> resumed = new ArrayList<>();
        try (WsClient first = WsClient.connect(http, server.streamUrl(runId, ""))) {
            assertThat(first.awaitType("caught_up").path("payload").path("seq").asLong()).isEqualTo(last);
            Scrape before = Scrape.of(server);
            for (int i = 0; i < 10; i++) {
                joined.add(WsClient.connect(http, server.streamUrl(runId, "")));
                resumed.add(WsClient.connect(http, server.streamUrl(runId, "after=" + last)));
            }
            for (WsClient client : joined) {
                assertThat(client.awaitType("caught_up").path("payload").path("seq").asLong()).isEqualTo(last);
            }
            for (WsClient client : resumed) {
                client.awaitType("caught_up");
            }
            assertThat(Scrape.of(server).since(before, "stepstream_stream_history_reads_total"))
                    .as("the first client's read of the store serves every client that joins or resumes after it").isZero();
            assertThat(RawHttp.upgrade(server.port(), "/api/v2/workflows/runs/" + runId + "/stream?after=" + (last + 1)).status())
                    .as("an after past the run's last event is still refused").isEqualTo(400);

            Files.writeString(gate, "open");
            List<String> history = server.awaitRawHistory(runId);
            for (WsClient client : joined) {
                assertWholeStream(client, history, runId);
            }
            for (WsClient client : resumed) {
                assertThat(client.awaitClose().code()).isEqualTo(1000);
                assertThat(client.envelopeTexts()).as("everything after seq " + last + ", live, once, in order")
                        .containsExactlyElementsOf(history.subList((int) last, history.size()));
            }
            assertWholeStream(first, history, runId);
        } finally {
            joined.forEach(WsClient::close);
            resumed.forEach(WsClient::close);
        }
    }

    /**
     * An {@code after} past the run's last seq (a client that kept a position from elsewhere) is
     * a 400 naming {@code after}, alike on the WebSocket, SSE and the history: a client that
     * cannot read a refused upgrade (a browser) asks the history why, and must hear the same.
     */
    @Test
    void anAfterBeyondTheRunsLastSeqIsThe400OfTheStreamAndOfTheHistoryAlike() {
        String runId = server.execute("st-story", "{\"pause\": \"1ms\"}");
        long last = server.awaitEnd(runId).path("lastSeq").asLong();
        String message = "after: run " + runId + " has no event " + (last + 1) + " (its last is " + last + ")";
        RawHttp.Answer upgrade = RawHttp.upgrade(server.port(), "/api/v2/workflows/runs/" + runId + "/stream?after=" + (last + 1));
        assertThat(upgrade.status()).isEqualTo(400);
        assertThat(upgrade.json().path("error").path("message").asText()).isEqualTo(message);
        TestServer.Response history = server.get("/api/v2/workflows/runs/" + runId + "/events?after=" + (last + 1) + "&limit=1");
        assertThat(history.status()).isEqualTo(400);
        assertThat(history.body().path("error").path("code").asText()).isEqualTo("invalid_parameter");
        assertThat(history.body().path("error").path("message").asText()).isEqualTo(message);
        TestServer.Response sse = server.send(server.request("/api/v2/workflows/runs/" + runId + "/events?after=" + (last + 1))
                .header("Accept", "text/event-stream"));
        assertThat(sse.status()).isEqualTo(400);
        assertThat(sse.body().path("error").path("message").asText()).isEqualTo(message);

        TestServer.Response atTheEnd = server.get("/api/v2/workflows/runs/" + runId + "/events?after=" + last);
        assertThat(atTheEnd.status()).isEqualTo(200);
        assertThat(atTheEnd.body().path("events")).isEmpty();
        assertThat(atTheEnd.body().path("next").isNull()).isTrue();
    }

    @Test
    void everyEnvelopeHasRunIdSeqTypeTimeAndPayloadAndSeqCountsUpWithoutGaps() {
        String runId = server.execute("st-story", "{\"pause\": \"300ms\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            List<JsonNode> envelopes = client.envelopes();
            assertWellFormed(envelopes, runId, 1);
            assertThat(envelopes).extracting(e -> e.path("type").asText())
                    .contains("run_start", "step_start", "step_log", "variable_change", "step_complete", "run_complete");
            assertThat(envelopes.get(0).path("type").asText()).isEqualTo("run_start");
            assertThat(envelopes.get(envelopes.size() - 1).path("type").asText()).isEqualTo("run_complete");
            assertThat(client.controls()).extracting(c -> c.path("type").asText()).containsExactly("caught_up");
            assertThat(envelopes).containsExactlyElementsOf(server.awaitHistory(runId));
        }
    }

    @Test
    void aClientCutOffFiveTimesResumesWithAfterAndEndsWithTheWholeRunWithNoGapAndNoDuplicate() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String runId = server.execute("st-lines", "{\"lines\": 1000, \"every\": 10, \"nap\": \"0.02\"}");
        List<String> received = new ArrayList<>();
        List<String> cutsMade = new ArrayList<>();
        long last = 0;
        for (int cut = 0; cut < 5; cut++) {
            int frames = 1 + random.nextInt(60);
            try (WsClient client = WsClient.connect(http, server.streamUrl(runId, "after=" + last), frames)) {
                client.awaitMessages(frames + " frames", m -> m.size() >= frames, Duration.ofSeconds(30));
                if (cut % 2 == 0) {
                    client.abort(); // the connection is simply gone
                } else {
                    client.sendClose(); // a client that says goodbye, reading what was still in flight
                    client.resume();
                    client.awaitClose();
                }
                List<JsonNode> got = client.envelopes();
                assertWellFormed(got, runId, last + 1);
                received.addAll(client.envelopeTexts());
                cutsMade.add("after=" + last + ": cut after " + frames + " frames, kept " + got.size() + " envelopes");
                last = client.lastSeq(last);
            }
        }
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, "after=" + last))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            assertWellFormed(client.envelopes(), runId, last + 1);
            received.addAll(client.envelopeTexts());
        }

        List<String> history = server.awaitRawHistory(runId);
        assertThat(received).as("seed %d, %s", seed, cutsMade).containsExactlyElementsOf(history);
        assertThat(history.size()).as("the run is long enough for five cuts").isGreaterThan(300);
    }

    @Test
    void batchedFramesSplitOnNewlinesGiveExactlyTheEnvelopesOfOnePerFrameConnections() {
        String runId = server.execute("st-lines", "{\"lines\": 3000, \"every\": 1000, \"nap\": \"0.2\"}");
        WsClient batchedLive = WsClient.connect(http, server.streamUrl(runId, "batch=1"));
        WsClient plainLive = WsClient.connect(http, server.streamUrl(runId, ""));
        assertThat(batchedLive.awaitClose().code()).isEqualTo(1000);
        assertThat(plainLive.awaitClose().code()).isEqualTo(1000);
        List<String> history = server.awaitRawHistory(runId);
        WsClient batchedLate = WsClient.connect(http, server.streamUrl(runId, "batch=1"));
        WsClient plainLate = WsClient.connect(http, server.streamUrl(runId, ""));
        assertThat(batchedLate.awaitClose().code()).isEqualTo(1000);
        assertThat(plainLate.awaitClose().code()).isEqualTo(1000);

        for (WsClient batched : List.of(batchedLive, batchedLate)) {
            assertThat(batched.messages()).as("every line of a batched frame is one JSON object")
                    .allSatisfy(line -> {
                        assertThat(line.malformed()).as("line %s", line).isFalse();
                        assertThat(line.json().isObject()).as("line %s", line).isTrue();
                    });
            assertThat(batched.envelopeTexts()).containsExactlyElementsOf(history);
            assertCaughtUpOnce(batched, runId);
        }
        for (WsClient plain : List.of(plainLive, plainLate)) {
            assertThat(plain.envelopeTexts()).containsExactlyElementsOf(history);
            assertCaughtUpOnce(plain, runId);
        }
        assertThat(batchedLate.envelopeTexts()).containsExactlyElementsOf(plainLate.envelopeTexts());
        assertThat(batchedLive.envelopeTexts()).containsExactlyElementsOf(plainLive.envelopeTexts());
    }

    @Test
    void byDefaultEveryFrameIsExactlyOneJsonObject() {
        String runId = server.execute("st-lines", "{\"lines\": 2000, \"every\": 1000, \"nap\": \"0.1\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            List<String> frames = client.frames();
            assertThat(frames).hasSize(client.messages().size());
            for (String frame : frames) {
                JsonNode parsed;
                try {
                    parsed = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(frame);
                } catch (IOException e) {
                    throw new AssertionError("a frame that JSON.parse would reject: " + frame, e);
                }
                assertThat(parsed.isObject()).as(frame).isTrue();
                assertThat(frame).as("no newline-joined objects").doesNotContain("}\n{");
            }
            assertThat(client.envelopeTexts()).containsExactlyElementsOf(server.awaitRawHistory(runId));
        }
    }

    @Test
    void inboundTextOver512BytesClosesTheConnectionWith1009() {
        String runId = server.execute("st-quiet", "{\"pause\": \"20s\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            client.awaitType("caught_up");
            client.sendText("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(513) + "\"}");
            assertThat(client.awaitClose(Duration.ofSeconds(10)).code()).isEqualTo(1009);
        }
        // Bytes, not characters: 300 two-byte characters are 600 bytes.
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            client.awaitType("caught_up");
            client.sendText("é".repeat(300));
            assertThat(client.awaitClose(Duration.ofSeconds(10)).code()).isEqualTo(1009);
        } finally {
            server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        }
    }

    @Test
    void aPingMessageIsAnsweredWithAPongThatCarriesNoSeq() {
        String runId = server.execute("st-quiet", "{\"pause\": \"20s\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            client.awaitType("caught_up");
            client.sendText("{\"type\": \"ping\"}");
            JsonNode pong = client.awaitType("pong", Duration.ofSeconds(10));
            assertThat(pong.has("seq")).as("%s", pong).isFalse();
            assertThat(client.isClosed()).isFalse();
        } finally {
            server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        }
    }

    @Test
    void otherInboundMessagesAreIgnoredAndTheStreamGoesOn() {
        String runId = server.execute("st-quiet", "{\"pause\": \"20s\"}");
        try (WsClient client = WsClient.connect(http, server.streamUrl(runId, ""))) {
            client.awaitType("caught_up");
            client.sendText("{\"type\": \"hello\"}");
            client.sendText("not JSON at all");
            client.sendText("{\"type\": \"ping\"");
            client.sendText("[1, 2, 3]");
            client.sendText("{\"type\": \"subscribe\", \"runId\": \"" + runId + "\"}");
            client.sendText("x".repeat(512)); // exactly the limit: not over it
            client.sendText("é".repeat(256)); // 512 bytes in two-byte characters
            client.sendText("{\"type\": \"ping\"}");
            client.awaitType("pong", Duration.ofSeconds(10));
            assertThat(client.controls()).extracting(c -> c.path("type").asText()).containsExactly("caught_up", "pong");
            assertThat(client.isClosed()).as("still open: %s", client.closeNow()).isFalse();

            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            assertThat(client.awaitClose().code()).isEqualTo(1000);
            List<String> history = server.awaitRawHistory(runId);
            assertThat(client.envelopeTexts()).containsExactlyElementsOf(history);
            assertThat(parse(history.get(history.size() - 1)).path("payload").path("status").asText()).isEqualTo("cancelled");
        }
    }
}
