package dev.stepstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.stream.StreamSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.SseClient;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import dev.stepstream.testing.Yaml;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} scraped around real activity: the figures move exactly as the activity says. */
@Timeout(180)
class MetricsTest {
    private static final String[] WS = {"transport=websocket", "stream=run"};
    private static final String[] SSE = {"transport=sse", "stream=run"};
    private static final String[] ALL_RUNS = {"transport=websocket", "stream=all_runs"};

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    /**
     * Waits until a scrape satisfies {@code settled}, then scrapes once more: a scrape reads the
     * meters one after another while connections update them, so only a scrape begun after the
     * awaited figure moved sees everything that was recorded before it.
     */
    private static Scrape settled(TestServer server, String what, java.util.function.Predicate<Scrape> settled) {
        Await.until(what, Duration.ofSeconds(30), () -> settled.test(Scrape.of(server)) ? true : null);
        return Scrape.of(server);
    }

    private static String[] with(String[] labels, String... more) {
        String[] all = java.util.Arrays.copyOf(labels, labels.length + more.length);
        System.arraycopy(more, 0, all, labels.length, more.length);
        return all;
    }

    @Test
    void aWatchedRunMovesTheRunEventStreamAndRequestFiguresByWhatHappened() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-story.yaml"));
            Scrape before = Scrape.of(server);

            WsClient dashboard = WsClient.connect(http, server.wsUrl("/api/v2/stream"));
            String runId = server.execute("st-story", "{\"pause\": \"700ms\"}");
            WsClient ws = WsClient.connect(http, server.streamUrl(runId, ""));
            SseClient sse = SseClient.open(http, URI.create(server.url() + "/api/v2/workflows/runs/" + runId + "/events"),
                    Map.of());
            assertThat(ws.awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
            sse.awaitEnd(Duration.ofSeconds(30));
            List<String> history = server.awaitRawHistory(runId);
            long historyBytes = history.stream().mapToLong(e -> e.getBytes(StandardCharsets.UTF_8).length).sum();
            assertThat(server.get("/api/v2/workflows/runs/" + java.util.UUID.randomUUID()).status()).isEqualTo(404);
            dashboard.awaitMessages("the run's run_complete on the all-runs stream", messages -> messages.stream()
                    .anyMatch(m -> "run_complete".equals(m.type())), Duration.ofSeconds(10));
            int dashboardItems = dashboard.messageCount();
            dashboard.sendClose();

            Scrape after = settled(server, "the three streams are counted as closed", now ->
                    now.since(before, "stepstream_stream_connection_duration_seconds_count", WS) == 1
                            && now.since(before, "stepstream_stream_connection_duration_seconds_count", SSE) == 1
                            && now.since(before, "stepstream_stream_connection_duration_seconds_count", ALL_RUNS) == 1);
            for (String[] kind : List.of(WS, SSE, ALL_RUNS)) {
                assertThat(after.value("stepstream_stream_connections_open", kind)).isEqualTo(before.value("stepstream_stream_connections_open", kind));
            }

            assertThat(after.since(before, "stepstream_runs_started_total")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_runs_completed_total", "status=success")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_runs_completed_total", "status=failed")).isZero();
            assertThat(after.since(before, "stepstream_step_duration_seconds_count", "type=log", "status=success")).isEqualTo(2);
            assertThat(after.since(before, "stepstream_step_duration_seconds_count", "type=script", "status=success")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_step_duration_seconds_sum", "type=sleep", "status=success"))
                    .as("the sleep step took its 700 ms").isGreaterThanOrEqualTo(0.69);

            double committed = after.since(before, "stepstream_events_committed_total");
            assertThat(committed).isEqualTo(history.size());
            assertThat(after.since(before, "stepstream_eventlog_batch_size_events_sum")).isEqualTo(committed);
            assertThat(after.since(before, "stepstream_eventlog_commit_seconds_count")).isBetween(1.0, committed);
            assertThat(after.since(before, "stepstream_eventlog_stored_lag_seconds_count"))
                    .isEqualTo(after.since(before, "stepstream_eventlog_commit_seconds_count"));
            assertThat(after.value("stepstream_eventlog_queue_depth")).isZero();

            for (String[] kind : List.of(WS, SSE)) {
                assertThat(after.since(before, "stepstream_stream_connections_opened_total", kind)).isEqualTo(1);
                assertThat(after.since(before, "stepstream_stream_events_delivered_total", kind)).isEqualTo(history.size());
                assertThat(after.since(before, "stepstream_stream_bytes_sent_total", kind)).isEqualTo(historyBytes);
                assertThat(after.since(before, "stepstream_stream_closes_total", with(kind, "by=server", "code=1000"))).isEqualTo(1);
                assertThat(after.since(before, "stepstream_stream_connection_duration_seconds_count", kind)).isEqualTo(1);
                assertThat(after.since(before, "stepstream_stream_delivery_lag_seconds_count", kind))
                        .as("events emitted while the stream was open were delivered live").isPositive();
                assertThat(after.since(before, "stepstream_stream_resumes_total", kind)).isZero();
            }
            assertThat(after.since(before, "stepstream_stream_history_reads_total"))
                    .as("the first stream reads the store; the second may be served what that read found, from the run's topic")
                    .isBetween(1.0, 2.0);
            assertThat(after.since(before, "stepstream_stream_connections_opened_total", ALL_RUNS)).isEqualTo(1);
            assertThat(after.since(before, "stepstream_stream_events_delivered_total", ALL_RUNS))
                    .as("run_queued, run_start, a run_progress per step, run_complete").isEqualTo(dashboardItems).isEqualTo(8);
            assertThat(after.since(before, "stepstream_stream_closes_total", with(ALL_RUNS, "by=client", "code=1000"))).isEqualTo(1);

            assertThat(after.since(before, "stepstream_http_requests_seconds_count", "method=POST",
                    "route=/api/v2/workflows/{workflowId}/execute", "status=202")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_http_requests_seconds_count", "method=GET",
                    "route=/api/v2/workflows/runs/{runId}", "status=404")).isEqualTo(1);
            assertThat(after.text()).as("no label carries a run id").doesNotContain(runId);

            for (String jvm : List.of("jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
                    "process_cpu_usage", "process_uptime_seconds", "process_files_open_files", "stepstream_build_info")) {
                assertThat(after.has(jvm)).as(jvm).isTrue();
            }
            assertThat(after.value("stepstream_netty_direct_memory_bytes"))
                    .as("the buffers Netty holds for the sockets it served, which the JDK's direct count does not see")
                    .isPositive();
        }
    }

    /**
     * A step that no driver ends (a waiting run's approval, cancelled while no node holds the
     * run) is counted as a step its driver cancels would be.
     */
    @Test
    void aStepEndedWithoutItsDriverIsCountedByTypeAndStatus() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply("""
                    id: gated
                    steps:
                      - {id: say, type: log, message: before}
                      - {id: gate, type: approval, message: "go?"}
                    """);
            String runId = server.execute("gated", null);
            Await.until("the run waits", Duration.ofSeconds(20),
                    () -> server.run(runId).path("status").asText().equals("waiting") ? true : null);
            Scrape before = Scrape.of(server);
            assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("cancelled");

            Scrape after = settled(server, "the run is counted as cancelled",
                    now -> now.since(before, "stepstream_runs_completed_total", "status=cancelled") == 1);
            assertThat(after.since(before, "stepstream_step_duration_seconds_count", "type=approval", "status=cancelled")).isEqualTo(1);
            assertThat(after.since(before, "stepstream_step_duration_seconds_count", "type=log", "status=success")).isZero();
        }
    }

    @Test
    void subscribersPerRunAreADistributionAndClientClosesAreCountedByCode() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply(Yaml.fixture("st-quiet.yaml"));
            String busy = server.execute("st-quiet", "{\"pause\": \"60s\"}");
            String quiet = server.execute("st-quiet", "{\"pause\": \"60s\"}");
            Scrape before = Scrape.of(server);
            List<WsClient> clients = List.of(
                    WsClient.connect(http, server.streamUrl(busy, "")),
                    WsClient.connect(http, server.streamUrl(busy, "")),
                    WsClient.connect(http, server.streamUrl(busy, "")),
                    WsClient.connect(http, server.streamUrl(quiet, "")));
            clients.forEach(client -> client.awaitType("caught_up"));

            Scrape watched = Scrape.of(server);
            assertThat(watched.value("stepstream_stream_connections_open", WS)).isEqualTo(4);
            assertThat(watched.value("stepstream_runs_active", "state=running")).isEqualTo(2);
            assertThat(watched.value("stepstream_stream_runs_followed")).isEqualTo(2);
            assertThat(watched.since(before, "stepstream_stream_subscribers_per_run_count")).as("one sample per followed run").isEqualTo(2);
            assertThat(watched.since(before, "stepstream_stream_subscribers_per_run_sum")).isEqualTo(4);
            assertThat(watched.value("stepstream_stream_subscribers_per_run_max")).isEqualTo(3);
            assertThat(watched.since(before, "stepstream_stream_subscribers_per_run_bucket", "le=1.0")).isEqualTo(1);
            assertThat(watched.since(before, "stepstream_stream_subscribers_per_run_bucket", "le=5.0")).isEqualTo(2);
            assertThat(watched.text()).doesNotContain(busy).doesNotContain(quiet);

            try (WsClient chatty = WsClient.connect(http, server.streamUrl(busy, ""))) {
                chatty.awaitType("caught_up");
                chatty.sendText("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(600) + "\"}");
                assertThat(chatty.awaitClose(Duration.ofSeconds(10)).code()).isEqualTo(1009);
            }
            clients.get(0).sendClose();
            clients.get(1).abort();
            Scrape closed = settled(server, "the client closes are counted",
                    now -> now.since(before, "stepstream_stream_connection_duration_seconds_count", WS) == 3);
            assertThat(closed.value("stepstream_stream_connections_open", WS)).isEqualTo(2);
            assertThat(closed.since(before, "stepstream_stream_closes_total", with(WS, "by=client", "code=1000"))).isEqualTo(1);
            assertThat(closed.since(before, "stepstream_stream_closes_total", with(WS, "by=client", "code=none"))).isEqualTo(1);
            assertThat(closed.since(before, "stepstream_stream_closes_total", with(WS, "by=server", "code=1009"))).isEqualTo(1);
            assertThat(closed.since(before, "stepstream_stream_closes_total", with(WS, "by=server"))).isEqualTo(1);

            for (String runId : List.of(busy, quiet)) {
                assertThat(server.post("/api/v2/workflows/runs/" + runId + "/cancel", "").status()).isEqualTo(202);
            }
            assertThat(clients.get(2).awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
            assertThat(clients.get(3).awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
            Scrape ended = settled(server, "the cancelled runs are counted and no longer running",
                    now -> now.since(before, "stepstream_runs_completed_total", "status=cancelled") == 2
                            && now.value("stepstream_runs_active", "state=running") == 0);
            assertThat(ended.since(before, "stepstream_step_duration_seconds_count", "type=sleep", "status=cancelled")).isEqualTo(2);
        }
    }

    @Test
    void aSlowClientClosedWith1013AndItsResumeAreCounted() {
        try (TestServer server = TestServer.start(dir, config -> config.withStreams(new StreamSettings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(15))))) {
            server.apply(Yaml.fixture("st-flood.yaml"));
            Scrape before = Scrape.of(server);
            String runId = server.execute("st-flood", "{\"lines\": 100000}");
            WsClient stalled = WsClient.connect(http, server.streamUrl(runId, ""), 5);

            Scrape slow = Await.until("the stalled client is closed with 1013", Duration.ofSeconds(120), () -> {
                Scrape now = Scrape.of(server);
                return now.since(before, "stepstream_stream_closes_total", with(WS, "by=server", "code=1013")) == 1 ? now : null;
            });
            slow = Scrape.of(server); // begun after the close was counted: sees the stalls that preceded it
            assertThat(slow.since(before, "stepstream_stream_write_queue_full_total", WS)).isPositive();
            stalled.abort();

            List<String> history = server.awaitRawHistory(runId);
            try (WsClient resumed = WsClient.connect(http, server.streamUrl(runId, "after=" + (history.size() - 10) + "&batch=1"))) {
                assertThat(resumed.awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(1000);
                assertThat(resumed.envelopes()).hasSize(10);
            }
            Scrape after = Scrape.of(server);
            assertThat(after.since(before, "stepstream_stream_resumes_total", WS)).isEqualTo(1);
            assertThat(after.since(before, "stepstream_stream_connections_opened_total", WS)).isEqualTo(2);
            assertThat(after.since(before, "stepstream_stream_closes_total", with(WS, "by=server", "code=1000"))).isEqualTo(1);
            assertThat(after.value("stepstream_eventlog_batch_size_events_max")).as("a flood is committed in batches")
                    .isGreaterThan(1);
        }
    }

    @Test
    void theScrapeIsPrometheusTextAndNeedsNoStore(@TempDir Path other) {
        try (TestServer server = TestServer.start(other)) {
            TestServer.Response response = server.get("/metrics");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Content-Type")).startsWith("text/plain; version=0.0.4");
            assertThat(response.text()).contains("# TYPE stepstream_events_committed_total counter",
                    "# HELP stepstream_stream_delivery_lag_seconds");
            JsonNode ready = server.get("/readyz").body();
            assertThat(ready.path("status").asText()).isEqualTo("ready");
        }
    }
}
