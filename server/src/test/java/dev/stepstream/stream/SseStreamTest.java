package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.app.Config;
import dev.stepstream.json.Json;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The run's events as Server-Sent Events: history, then live, resumable, kept alive through proxies. */
@Timeout(60)
class SseStreamTest {
    static final Duration KEEP_ALIVE = Duration.ofMillis(300);

    @TempDir
    static Path dir;
    static TestServer server;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withStreams(new StreamSettings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(10), KEEP_ALIVE)));
        server.apply(Yaml.fixture("st-story.yaml"));
        server.apply(Yaml.fixture("st-quiet.yaml"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static URI eventsUrl(String runId, String query) {
        return URI.create(server.url() + "/api/v2/workflows/runs/" + runId + "/events" + (query.isEmpty() ? "" : "?" + query));
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The run's envelopes, without {@code caught_up}; every event has an id, as API.md says. */
    private static List<SseClient.Event> envelopes(List<SseClient.Event> events) {
        assertThat(events).as("every event has an id").allSatisfy(e -> assertThat(e.id()).as("id of %s", e).isNotNull());
        return events.stream().filter(e -> !"caught_up".equals(e.event())).toList();
    }

    /** Each event: {@code id} its seq, {@code event} its type, {@code data} the envelope exactly as the history has it. */
    private static void assertEventsAre(List<SseClient.Event> events, List<String> expected) {
        assertThat(events).extracting(SseClient.Event::data).containsExactlyElementsOf(expected);
        for (SseClient.Event event : events) {
            JsonNode envelope = parse(event.data());
            assertThat(event.id()).as("id of %s", event).isEqualTo(envelope.path("seq").asText());
            assertThat(event.event()).as("event of %s", event).isEqualTo(envelope.path("type").asText());
        }
    }

    @Test
    void sseSendsTheHistoryThenLiveEventsWithIdEventAndDataAndEndsAfterRunComplete() {
        String runId = server.execute("st-story", "{\"pause\": \"1s\"}");
        Await.until("the run reaches its pause", Duration.ofSeconds(20), () -> server.events(runId).stream()
                .anyMatch(e -> e.path("payload").path("stepId").asText().equals("pause")) ? true : null);

        try (SseClient client = SseClient.open(http, eventsUrl(runId, ""), Map.of())) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
            assertThat(client.headers().firstValue("X-Accel-Buffering")).hasValue("no");
            int atConnect = server.events(runId).size();

            List<SseClient.Event> all = client.awaitEnd(Duration.ofSeconds(30));
            List<SseClient.Event> events = envelopes(all);
            List<String> history = server.awaitRawHistory(runId);
            assertThat(atConnect).as("connected mid-run").isLessThan(history.size());
            int caughtUp = all.indexOf(all.stream().filter(e -> "caught_up".equals(e.event())).findFirst().orElseThrow());
            assertThat(all.get(caughtUp).id()).as("caught_up's id: where the stream is, the history's last seq")
                    .isEqualTo(all.get(caughtUp - 1).id());
            assertEventsAre(events, history);
            assertThat(events.get(events.size() - 1).event()).isEqualTo("run_complete");
        }
    }

    @Test
    void sseResumesAfterTheLastEventIdHeader() {
        String runId = server.execute("st-story", null);
        List<String> history = server.awaitRawHistory(runId);
        try (SseClient client = SseClient.open(http, eventsUrl(runId, ""), Map.of("Last-Event-ID", "3"))) {
            assertEventsAre(envelopes(client.awaitEnd(Duration.ofSeconds(30))), history.subList(3, history.size()));
        }
    }

    @Test
    void sseResumesAfterTheAfterParameter() {
        String runId = server.execute("st-story", null);
        List<String> history = server.awaitRawHistory(runId);
        try (SseClient client = SseClient.open(http, eventsUrl(runId, "after=5"), Map.of())) {
            assertEventsAre(envelopes(client.awaitEnd(Duration.ofSeconds(30))), history.subList(5, history.size()));
        }
    }

    /**
     * A filter that leaves the run_complete out still ends the stream where the run ended: its
     * caught_up carries the run's last seq as its id, so the EventSource's reconnect gets 204 and
     * stops, rather than asking again for ever from the last event it was sent.
     */
    @Test
    void aFilteredSseStreamOfAFinishedRunEndsWhereTheRunEndedAndItsReconnectIs204() {
        String runId = server.execute("st-story", null);
        List<String> history = server.awaitRawHistory(runId);
        String lastSeq = parse(history.get(history.size() - 1)).path("seq").asText();
        try (SseClient client = SseClient.open(http, eventsUrl(runId, "types=step_log"), Map.of())) {
            List<SseClient.Event> all = client.awaitEnd(Duration.ofSeconds(30));
            assertThat(envelopes(all)).extracting(SseClient.Event::event).containsOnly("step_log").isNotEmpty();
            SseClient.Event last = all.get(all.size() - 1);
            assertThat(last.event()).as("the stream's end: %s", all).isEqualTo("caught_up");
            assertThat(last.id()).as("where a reconnect resumes").isEqualTo(lastSeq);
        }
        try (SseClient again = SseClient.open(http, eventsUrl(runId, "types=step_log"), Map.of("Last-Event-ID", lastSeq))) {
            assertThat(again.status()).isEqualTo(204);
        }
    }

    @Test
    void sseSendsACommentLineWhileTheRunIsQuiet() {
        String runId = server.execute("st-quiet", "{\"pause\": \"1500ms\"}");
        try (SseClient client = SseClient.open(http, eventsUrl(runId, ""), Map.of())) {
            List<SseClient.Event> events = client.awaitEnd(Duration.ofSeconds(30));
            List<String> messages = events.stream()
                    .map(e -> e.data() == null ? "" : parse(e.data()).path("payload").path("message").asText("")).toList();
            int hello = messages.indexOf("hello");
            int bye = messages.indexOf("bye");
            assertThat(client.comments()).as("comment lines sent while the run slept, between 'hello' and 'bye'")
                    .anySatisfy(c -> assertThat(c.eventsBefore()).isGreaterThan(hello).isLessThanOrEqualTo(bye));
            assertEventsAre(envelopes(events), server.awaitRawHistory(runId));
        }
    }

    @Test
    void anSseRequestForAnUnknownRunIs404WithAJsonError() {
        TestServer.Response response = server.send(server.request("/api/v2/workflows/runs/" + UUID.randomUUID() + "/events")
                .header("Accept", "text/event-stream").GET());
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("run_not_found");
    }
}
