package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v2/workflows/runs/{runId}/events?q=}: the events whose message or values contain
 * a text, ignoring case, paged like the history and combined with {@code types}, {@code steps},
 * {@code minLevel} (docs/api.md, "Searching a run"), and the log download of the same run: on
 * SQLite here, on PostgreSQL in {@link PostgresRunSearchTest}. The store's side of the search, on
 * both databases, is in the store contract.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunSearchTest {
    TestServer server;
    String runId;
    List<JsonNode> history;

    /** The server under test, on {@code dir}: the embedded default here. */
    TestServer startServer(Path dir) {
        return TestServer.start(dir);
    }

    @BeforeAll
    void start(@TempDir Path dir) {
        server = startServer(dir);
        server.apply("""
                id: searched
                inputs:
                  target: {type: string, default: Production}
                steps:
                  - {id: build, type: log, message: "Building for ${inputs.target}"}
                  - {id: noisy, type: script, run: "for i in $(seq 1 300); do echo \\"tick $i\\"; done; echo 'WARNING: disk 91% full' >&2"}
                  - {id: mark, type: set, vars: {stage: "production-ready", count: 42}}
                  - {id: tell, type: log, level: warn, message: "Ready: tick tock"}
                """);
        runId = server.execute("searched", null);
        server.awaitEnd(runId);
        history = server.awaitHistory(runId);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Every page of a search, followed through {@code next}: the seqs found. */
    private List<Long> search(String query, int limit) {
        List<Long> seqs = new ArrayList<>();
        String after = "0";
        while (true) {
            TestServer.Response page = server.get("/api/v2/workflows/runs/" + runId + "/events?" + query + "&limit=" + limit
                    + "&after=" + after);
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            assertThat(page.body().path("events").size()).isLessThanOrEqualTo(limit);
            page.body().path("events").forEach(e -> seqs.add(e.path("seq").asLong()));
            if (page.body().path("next").isNull() || page.body().path("next").asText().equals(after)) {
                return seqs; // the end of an ended run, or of what a running one has stored so far
            }
            after = page.body().path("next").asText();
        }
    }

    private static String q(String text) {
        return "q=" + URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** The seqs of the history's events that pass {@code test}: what a search must find. */
    private List<Long> seqsOf(Predicate<JsonNode> test) {
        return history.stream().filter(test).map(e -> e.path("seq").asLong()).toList();
    }

    private static boolean says(JsonNode event, String lower) {
        JsonNode payload = event.path("payload");
        return payload.path("message").asText().toLowerCase(Locale.ROOT).contains(lower);
    }

    @Test
    void aSearchFindsEveryMentionIgnoringCaseAcrossPages() {
        List<Long> ticks = seqsOf(e -> says(e, "tick"));
        assertThat(ticks).hasSize(301);

        assertThat(search(q("TICK"), 1000)).isEqualTo(ticks);
        assertThat(search(q("tick"), 7)).as("pages of 7").isEqualTo(ticks);
        assertThat(search(q("Tick 300"), 50)).isEqualTo(seqsOf(e -> says(e, "tick 300")));
    }

    @Test
    void valuesAndInputsAreSearchedAndPercentIsText() {
        List<Long> production = seqsOf(e -> e.path("type").asText().equals("run_start")
                || says(e, "production")
                || e.path("payload").path("newValue").asText().contains("production"));
        assertThat(production).hasSize(3); // the input, the log line, the variable
        assertThat(search(q("PRODUCTION"), 100)).isEqualTo(production);
        assertThat(search(q("42"), 100)).as("a number is read as its JSON")
                .isEqualTo(seqsOf(e -> says(e, "42") || e.path("payload").path("newValue").asText().equals("42"))).hasSize(4);
        assertThat(search(q("91% full"), 100)).isEqualTo(seqsOf(e -> says(e, "91% full"))).hasSize(1);
        assertThat(search(q("1%"), 100)).isEqualTo(seqsOf(e -> says(e, "1%")));
        assertThat(search(q("no such words"), 100)).isEmpty();
    }

    @Test
    void aSearchCombinesWithTypesStepsAndMinLevel() {
        assertThat(search(q("tick") + "&minLevel=warn", 100)).isEqualTo(seqsOf(e -> says(e, "tick")
                && e.path("payload").path("level").asText().equals("warn")));
        assertThat(search(q("tick") + "&steps=tell", 100)).isEqualTo(seqsOf(e -> says(e, "tick")
                && e.path("payload").path("stepId").asText().equals("tell"))).hasSize(1);
        assertThat(search(q("production") + "&types=variable_change", 100))
                .isEqualTo(seqsOf(e -> e.path("type").asText().equals("variable_change")
                        && e.path("payload").path("newValue").asText().contains("production")));
        assertThat(search("types=step_complete&steps=noisy", 100)).as("filters without q page the history too")
                .isEqualTo(seqsOf(e -> e.path("type").asText().equals("step_complete")
                        && e.path("payload").path("stepId").asText().equals("noisy")));
    }

    /**
     * A search of a run that goes on: a page that found nothing says to ask again from where it
     * searched to, not from where it began (a client polling a search of a long live run would
     * read its whole history again each time).
     */
    @Test
    void aSearchOfARunThatGoesOnAsksAgainPastWhatItSearched() {
        server.apply("""
                id: held
                steps:
                  - {id: talk, type: script, run: "for i in $(seq 1 50); do echo \\"line $i\\"; done"}
                  - {id: gate, type: approval, message: "go on?"}
                """);
        String held = server.execute("held", null);
        long last = dev.stepstream.testing.Await.until("the run waits", java.time.Duration.ofSeconds(20), () -> {
            JsonNode run = server.get("/api/v2/workflows/runs/" + held).body();
            return run.path("status").asText().equals("waiting") ? run.path("lastSeq").asLong() : null;
        });
        JsonNode page = server.get("/api/v2/workflows/runs/" + held + "/events?" + q("nowhere") + "&after=0").body();
        assertThat(page.path("events")).isEmpty();
        assertThat(page.path("next").asLong()).as("where to ask again: past what was searched").isEqualTo(last);
        JsonNode again = server.get("/api/v2/workflows/runs/" + held + "/events?" + q("nowhere") + "&after=" + last).body();
        assertThat(again.path("next").asLong()).as("nothing new: the same seq").isEqualTo(last);
        server.post("/api/v2/workflows/runs/" + held + "/cancel", "{}");
        server.awaitEnd(held);
    }

    @Test
    void theStreamTakesTheSameSearch() {
        TestServer.Response sse = server.send(server.request("/api/v2/workflows/runs/" + runId + "/events?" + q("tick 29"))
                .header("Accept", "text/event-stream").GET());
        assertThat(sse.status()).isEqualTo(200);
        List<String> events = java.util.Arrays.stream(sse.text().split("\n\n")).filter(block -> block.startsWith("id: ")).toList();
        List<Long> ids = events.stream().filter(block -> !block.contains("\nevent: caught_up\n"))
                .map(block -> Long.parseLong(block.lines().findFirst().orElseThrow().substring(4))).toList();
        assertThat(ids).isEqualTo(seqsOf(e -> says(e, "tick 29")));
        // The search leaves the run_complete out: a caught_up at the run's last seq ends the stream,
        // so that an EventSource's reconnect gets 204.
        assertThat(events.getLast()).startsWith("id: " + history.getLast().path("seq").asLong() + "\nevent: caught_up\n");
    }

    @Test
    void theLogDownloadHasEveryLineOfTheRun() {
        TestServer.Response log = server.get("/api/v2/workflows/runs/" + runId + "/log");
        assertThat(log.status()).isEqualTo(200);
        List<String> expected = history.stream().filter(e -> e.path("type").asText().equals("step_log"))
                .map(e -> e.path("time").asText() + " " + e.path("payload").path("stepId").asText() + " "
                        + e.path("payload").path("level").asText().toUpperCase(Locale.ROOT) + " "
                        + e.path("payload").path("message").asText())
                .toList();
        assertThat(expected).hasSize(303);
        assertThat(log.text().lines().toList()).isEqualTo(expected);
    }

    @Test
    void badParametersAre400NamingThemAndAnUnknownRunIs404() {
        TestServer.Response long_ = server.get("/api/v2/workflows/runs/" + runId + "/events?" + q("x".repeat(201)));
        assertThat(long_.status()).isEqualTo(400);
        assertThat(long_.body().path("error").path("message").asText()).startsWith("q: ");

        TestServer.Response types = server.get("/api/v2/workflows/runs/" + runId + "/events?q=a&types=step_lag");
        assertThat(types.status()).isEqualTo(400);
        assertThat(types.body().path("error").path("message").asText()).startsWith("types: ");

        TestServer.Response missing = server.get("/api/v2/workflows/runs/" + UUID.randomUUID() + "/events?q=a");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("error").path("code").asText()).isEqualTo("run_not_found");
    }
}
