package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.Yaml;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Listing runs, reading one, and paging its history. */
@Timeout(60)
class RunsApiTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply("""
                id: quick
                inputs:
                  n: {type: number, default: 1}
                steps:
                  - {id: a, type: log, message: "run ${inputs.n}"}
                """);
        server.apply(Yaml.fixture("st-quiet.yaml"));
        server.apply("""
                id: broken
                steps:
                  - {id: a, type: fail, message: nope}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void executeAnswersAtOnceWithWhereToFollowTheRun() {
        TestServer.Response response = server.post("/api/v2/workflows/quick/execute", "{\"inputs\": {\"n\": 7}}");
        assertThat(response.status()).isEqualTo(202);
        String runId = response.body().path("runId").asText();
        assertThat(runId).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(response.body().path("workflowId").asText()).isEqualTo("quick");
        assertThat(response.body().path("status").asText()).isEqualTo("queued");
        assertThat(response.body().path("streamUrl").asText()).isEqualTo("/api/v2/workflows/runs/" + runId + "/stream");
        assertThat(server.get("/api/v2/workflows/runs/" + runId).status()).as("readable at once").isEqualTo(200);
        JsonNode run = server.awaitEnd(runId);
        assertThat(run.path("inputs").path("n").asInt()).isEqualTo(7);
        assertThat(run.path("workflowVersion").asInt()).isEqualTo(1);
    }

    @Test
    void everyRunSaysWhatStartedItAndTheListFiltersOnIt() {
        String manual = server.execute("broken", null);
        server.awaitEnd(manual);
        TestServer.Response retried = server.post("/api/v2/workflows/runs/" + manual + "/retry", "{\"from\": \"start\"}");
        assertThat(retried.status()).as(retried.text()).isEqualTo(202);
        String retry = retried.body().path("runId").asText();
        server.awaitEnd(retry);

        assertThat(server.run(manual).path("trigger")).hasToString("{\"type\":\"manual\",\"id\":null,\"dueAt\":null}");
        assertThat(server.run(retry).path("trigger")).hasToString("{\"type\":\"retry\",\"id\":\"" + manual + "\",\"dueAt\":null}");
        assertThat(server.awaitHistory(retry).get(0).path("payload").path("trigger")).isEqualTo(server.run(retry).path("trigger"));

        JsonNode retries = server.get("/api/v2/workflows/runs?trigger=retry&limit=500").body().path("runs");
        assertThat(retries).extracting(run -> run.path("runId").asText()).contains(retry).doesNotContain(manual);
        assertThat(retries).allSatisfy(run -> assertThat(run.path("trigger").path("type").asText()).isEqualTo("retry"));
        assertThat(server.get("/api/v2/workflows/runs?trigger=manual&limit=500").body().path("runs"))
                .extracting(run -> run.path("runId").asText()).contains(manual).doesNotContain(retry);

        TestServer.Response bad = server.get("/api/v2/workflows/runs?trigger=cron");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.text()).contains("trigger", "expected manual, schedule, webhook, retry, workflow, got \\\"cron\\\"");
        TestServer.Response badStatus = server.get("/api/v2/workflows/runs?status=bogus");
        assertThat(badStatus.status()).isEqualTo(400);
        assertThat(badStatus.body().path("error").path("message").asText()).as("every status the filter takes")
                .isEqualTo("status: expected queued, running, waiting, success, failed, cancelled, interrupted, got \"bogus\"");
    }

    @Test
    void theListingSaysWhichStepMovedLast() {
        server.apply("""
                id: three-then-fail
                steps:
                  - {id: first, type: log, message: one}
                  - {id: second, type: set, vars: {x: 1}}
                  - {id: third, type: fail, message: stop here}
                  - {id: never, type: log, message: not reached}
                """);
        String runId = server.execute("three-then-fail", null);
        server.awaitEnd(runId);

        JsonNode listed = server.get("/api/v2/workflows/runs?workflowId=three-then-fail").body().path("runs").get(0);
        assertThat(listed.path("runId").asText()).isEqualTo(runId);
        assertThat(listed.path("lastStep").path("stepId").asText()).isEqualTo("third");
        assertThat(listed.path("lastStep").path("status").asText()).isEqualTo("failed");

        server.apply("""
                id: ends-skipped
                steps:
                  - {id: work, type: sleep, duration: 20ms}
                  - {id: maybe, type: log, message: not today, when: "${1 > 2}"}
                """);
        String skipped = server.execute("ends-skipped", null);
        server.awaitEnd(skipped);
        JsonNode skippedLast = server.get("/api/v2/workflows/runs?workflowId=ends-skipped").body().path("runs").get(0).path("lastStep");
        assertThat(skippedLast.path("stepId").asText()).as("a step skipped without starting moved last: its end counts")
                .isEqualTo("maybe");
        assertThat(skippedLast.path("status").asText()).isEqualTo("skipped");

        server.apply("""
                id: waits
                steps:
                  - {id: nap, type: sleep, duration: 30s}
                """);
        String sleeping = server.execute("waits", null);
        Await.until("the listing's last step of a queued then running run", Duration.ofSeconds(20), () -> {
            JsonNode run = server.get("/api/v2/workflows/runs?workflowId=waits").body().path("runs").get(0);
            return run.path("lastStep").path("status").asText().equals("running") ? run : null;
        });
        server.post("/api/v2/workflows/runs/" + sleeping + "/cancel", "{}");
        server.awaitEnd(sleeping);
    }

    @Test
    void anExecuteBodyWithAnUnknownFieldIs400NamingTheField() {
        TestServer.Response response = server.post("/api/v2/workflows/quick/execute", "{\"inputs\": {\"n\": 7}, \"input\": {}}");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_request");
        assertThat(response.body().path("error").path("message").asText()).startsWith("input: unknown field");
        assertThat(response.body().path("error").path("details").get(0).path("path").asText()).isEqualTo("input");
    }

    @Test
    void runsAreListedNewestFirstWithFiltersAndCursorPaging() {
        List<String> started = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            started.add(server.execute("quick", "{\"n\": " + i + "}"));
        }
        String failed = server.execute("broken", null);
        started.forEach(server::awaitEnd);
        server.awaitEnd(failed);

        JsonNode failedOnly = server.get("/api/v2/workflows/runs?workflowId=broken&status=failed").body();
        assertThat(failedOnly.path("runs")).extracting(r -> r.path("runId").asText()).contains(failed);
        assertThat(failedOnly.path("runs")).allSatisfy(r -> assertThat(r.path("status").asText()).isEqualTo("failed"));

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = server.get("/api/v2/workflows/runs?workflowId=quick&limit=3"
                    + (cursor == null ? "" : "&before=" + cursor)).body();
            assertThat(page.path("runs").size()).isLessThanOrEqualTo(3);
            page.path("runs").forEach(r -> paged.add(r.path("runId").asText()));
            cursor = page.path("next").isNull() ? null : page.path("next").asText();
        } while (cursor != null);
        assertThat(paged).doesNotHaveDuplicates().containsAll(started);
        List<String> newestFirst = new ArrayList<>(started);
        java.util.Collections.reverse(newestFirst);
        assertThat(paged.stream().filter(started::contains).toList()).containsExactlyElementsOf(newestFirst);

        JsonNode summary = server.get("/api/v2/workflows/runs?workflowId=quick&limit=1").body().path("runs").get(0);
        for (String field : List.of("runId", "workflowId", "workflowVersion", "status", "createdAt", "startedAt",
                "finishedAt", "duration", "lastSeq")) {
            assertThat(summary.has(field)).as(field).isTrue();
        }
    }

    @Test
    void theListingAsApiMdWritesItWithEmptyFiltersListsEveryRun() {
        server.awaitEnd(server.execute("quick", null));
        TestServer.Response all = server.get("/api/v2/workflows/runs?workflowId=&status=&limit=50&before=");
        assertThat(all.status()).as(all.text()).isEqualTo(200);
        assertThat(all.body().path("runs")).isNotEmpty();
    }

    @Test
    void anExecuteBodyThatDoesNotParseIsToldWithoutJavaNames() {
        String deep = "{\"inputs\":" + "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_001);
        TestServer.Response response = server.post("/api/v2/workflows/quick/execute", deep);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_json");
        assertThat(response.body().path("error").path("message").asText()).isEqualTo("the body is not valid JSON: nested too deeply");
    }

    @Test
    void badListingParametersAre400NamingTheParameter() {
        for (String query : List.of("limit=0", "limit=501", "limit=ten", "status=sleeping", "before=garbage",
                "workflowId=Quick", "workflowId=a%20b")) {
            TestServer.Response response = server.get("/api/v2/workflows/runs?" + query);
            assertThat(response.status()).as(query).isEqualTo(400);
            assertThat(response.body().path("error").path("message").asText()).as(query).startsWith(query.split("=")[0] + ":");
        }
    }

    @Test
    void aRunningRunsHistorySaysWhereToAskAgainAndItsNextIsNullOnlyOnceTheRunEnded() {
        String runId = server.execute("st-quiet", "{\"pause\": \"60s\"}");
        String path = "/api/v2/workflows/runs/" + runId + "/events";
        JsonNode sleeping = Await.until("the run asleep", Duration.ofSeconds(20), () -> {
            JsonNode page = server.get(path).body();
            return page.path("events").size() == 5 ? page : null; // run_start, hello's three events, wait's step_start
        });
        long last = sleeping.path("events").get(4).path("seq").asLong();
        assertThat(sleeping.path("next").asLong()).as("not done: where to ask again").isEqualTo(last);
        JsonNode nothingYet = server.get(path + "?after=" + last).body();
        assertThat(nothingYet.path("events")).isEmpty();
        assertThat(nothingYet.path("next").asLong()).as("nothing more yet: the same seq").isEqualTo(last);
        JsonNode filtered = server.get(path + "?types=run_complete").body();
        assertThat(filtered.path("events")).isEmpty();
        assertThat(filtered.path("next").isNull()).as("a filtered page of a running run").isFalse();

        assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
        server.awaitEnd(runId);
        JsonNode rest = server.get(path + "?after=" + last).body();
        assertThat(rest.path("events")).extracting(e -> e.path("type").asText()).endsWith("run_complete");
        assertThat(rest.path("next").isNull()).as("done").isTrue();
    }

    @Test
    void historyPagesWithAfterAndLimitAndNext() {
        String runId = server.execute("quick", null);
        server.awaitEnd(runId);
        List<JsonNode> all = server.awaitHistory(runId);
        assertThat(all).hasSize(5); // run_start, step_start, step_log, step_complete, run_complete

        JsonNode first = server.get("/api/v2/workflows/runs/" + runId + "/events?limit=2").body();
        assertThat(first.path("events")).extracting(e -> e.path("seq").asLong()).containsExactly(1L, 2L);
        assertThat(first.path("next").asLong()).isEqualTo(2);
        JsonNode rest = server.get("/api/v2/workflows/runs/" + runId + "/events?after=2&limit=10").body();
        assertThat(rest.path("events")).extracting(e -> e.path("seq").asLong()).containsExactly(3L, 4L, 5L);
        assertThat(rest.path("next").isNull()).isTrue();
        JsonNode none = server.get("/api/v2/workflows/runs/" + runId + "/events?after=5").body();
        assertThat(none.path("events")).isEmpty();

        JsonNode envelope = all.get(2);
        assertThat(envelope.path("type").asText()).isEqualTo("step_log");
        assertThat(envelope.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(envelope.path("payload").path("timestamp").asText()).isEqualTo(envelope.path("time").asText());
        assertThat(envelope.path("payload").path("stepId").asText()).isEqualTo("a");
    }

    @Test
    void unknownAndMalformedRunIds() {
        String unknown = "6f1c0000-0000-4000-8000-000000000000";
        for (String path : List.of("", "/events")) {
            TestServer.Response missing = server.get("/api/v2/workflows/runs/" + unknown + path);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body().path("error").path("code").asText()).isEqualTo("run_not_found");
            TestServer.Response malformed = server.get("/api/v2/workflows/runs/not-a-uuid" + path);
            assertThat(malformed.status()).isEqualTo(400);
            assertThat(malformed.body().path("error").path("code").asText()).isEqualTo("invalid_run_id");
        }
        assertThat(server.post("/api/v2/workflows/runs/" + unknown + "/cancel", "").status()).isEqualTo(404);
        assertThat(server.get("/api/v2/workflows/runs/x/events?after=-1").status()).isEqualTo(400);
    }

    @Test
    void twoHundredRunsStartedAtOnceAllCompleteWithGaplessSeq() throws Exception {
        server.apply("""
                id: busy
                steps:
                  - {id: a, type: log, message: one}
                  - {id: b, type: set, vars: {x: 1}}
                  - {id: c, type: sleep, duration: 10ms}
                  - {id: d, type: log, message: two}
                """);
        List<String> runIds = new ArrayList<>();
        try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<String>> started = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                started.add(clients.submit(() -> server.execute("busy", null)));
            }
            for (var runId : started) {
                runIds.add(runId.get());
            }
        }
        Set<String> distinct = new HashSet<>(runIds);
        assertThat(distinct).hasSize(200);
        for (String runId : runIds) {
            assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
            List<JsonNode> events = server.awaitHistory(runId);
            assertThat(events).extracting(e -> e.path("seq").asLong())
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 13).boxed().toList());
        }
    }
}
