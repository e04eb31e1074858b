package dev.stepstream.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.app.Config;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import dev.stepstream.testing.WsClient;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention (docs/operations.md, "Retention") on a clock the test moves, on SQLite and on
 * PostgreSQL: the server's {@code --retention} and a workflow's {@code maxAge} and
 * {@code maxRuns} delete the runs past them, and only those; a run that waits for a decision or
 * still runs is never deleted, however old; a deleted run is gone from the API; the workflow's
 * versions stay readable; the metrics count what was deleted.
 */
@Timeout(120)
class RetentionTest {
    /** The real time: runs end at real times (events are not on the clock), which the ages are measured from. */
    private static final Instant START = Instant.now();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void runsPastTheServersOrTheirWorkflowsRetentionAreDeletedOnSqlite() throws IOException {
        sweep(config -> config);
    }

    @Test
    void runsPastTheServersOrTheirWorkflowsRetentionAreDeletedOnPostgres() throws IOException {
        try (Postgres postgres = Postgres.schema()) {
            sweep(config -> config.withDb(postgres.url()));
        }
    }

    private void sweep(UnaryOperator<Config> store) throws IOException {
        ManualClock clock = new ManualClock(START);
        Path open = dir.resolve("open");
        try (TestServer server = TestServer.start(dir, clock, config -> store.apply(config).withRetention(Duration.ofDays(90)))) {
            server.apply("""
                    id: keep
                    steps: [{id: hello, type: log, message: hi}]
                    """);
            server.apply("""
                    id: week
                    retention: {maxAge: 7d}
                    steps: [{id: hello, type: log, message: hi}]
                    """);
            server.apply("""
                    id: few
                    retention: {maxRuns: 3}
                    steps: [{id: hello, type: log, message: hi}]
                    """);
            server.apply("""
                    id: gate
                    steps: [{id: gate, type: approval, message: "ship?"}]
                    """);
            server.apply("""
                    id: busy
                    steps: [{id: wait, type: script, run: "while [ ! -f '%s' ]; do sleep 0.05; done"}]
                    """.formatted(open));
            assertThat(server.get("/api/v2/workflows/few/versions").body().path("versions")).hasSize(1);

            List<String> keep = finished(server, clock, "keep", 2);
            List<String> week = finished(server, clock, "week", 2);
            List<String> few = finished(server, clock, "few", 5);
            String waiting = server.execute("gate", null);
            Await.until("the gate run to wait", WAIT, () -> "waiting".equals(server.run(waiting).path("status").asText()) ? true : null);
            String running = server.execute("busy", null);
            Await.until("the busy run to run", WAIT, () -> "running".equals(server.run(running).path("status").asText()) ? true : null);

            // maxRuns 3: the two oldest of the five go at the next pass; nothing else does. A
            // dashboard of the workflow hears of each.
            try (WsClient dashboard = WsClient.connect(HttpClient.newHttpClient(), server.wsUrl("/api/v2/stream?workflowId=few"))) {
                pass(server, clock, Duration.ofMinutes(1));
                assertGone(server, few.subList(0, 2));
                assertExist(server, few.subList(2, 5));
                // (Where nodes poll, the runs' own run-level events may come first: the manual
                // clock holds the poll back until this pass.)
                dashboard.awaitMessages("two run_deleted", messages -> deletions(dashboard).size() >= 2, WAIT);
                assertThat(deletions(dashboard)).containsExactlyInAnyOrder(few.get(0), few.get(1));
            }
            assertExist(server, keep);
            assertExist(server, week);

            // maxAge 7d: eight days on, the week runs go; the others are within 90 days.
            pass(server, clock, Duration.ofDays(8));
            assertGone(server, week);
            assertExist(server, keep);
            assertExist(server, few.subList(2, 5));

            // --retention 90d: past it every ended run goes, but not the run waiting for a
            // decision, nor the one still running.
            pass(server, clock, Duration.ofDays(83));
            List<String> ended = new ArrayList<>(keep);
            ended.addAll(few.subList(2, 5));
            assertGone(server, ended);
            assertThat(server.run(waiting).path("status").asText()).isEqualTo("waiting");
            assertThat(server.run(running).path("status").asText()).isEqualTo("running");
            Set<String> listed = new HashSet<>();
            server.get("/api/v2/workflows/runs?limit=100").body().path("runs").forEach(run -> listed.add(run.path("runId").asText()));
            assertThat(listed).containsExactlyInAnyOrder(waiting, running);

            JsonNode version = server.get("/api/v2/workflows/few?version=1").body();
            assertThat(version.path("retention").path("maxRuns").asInt()).as("versions outlive the runs that used them").isEqualTo(3);
            Scrape metrics = Scrape.of(server);
            assertThat(metrics.value("stepstream_runs_deleted_total", "reason=retention")).isEqualTo(9);
            assertThat(metrics.value("stepstream_store_size_bytes")).isPositive();
            Files.writeString(open, "");
            server.awaitEnd(running);
        }
    }

    /** Executes {@code count} runs of a workflow one after another, a second apart, each to its end. */
    private static List<String> finished(TestServer server, ManualClock clock, String workflowId, int count) {
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String runId = server.execute(workflowId, null);
            assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
            runIds.add(runId);
            clock.advance(Duration.ofSeconds(1));
        }
        return runIds;
    }

    /** Moves the clock on, then waits for the sweeper's pass that this starts to end. */
    private static void pass(TestServer server, ManualClock clock, Duration by) {
        double before = Scrape.of(server).value("stepstream_retention_passes_total");
        clock.advance(by);
        Await.until("the sweeper's next pass", WAIT,
                () -> Scrape.of(server).value("stepstream_retention_passes_total") > before ? true : null);
    }

    private static List<String> deletions(WsClient dashboard) {
        return dashboard.messages().stream().filter(m -> m.type().equals("run_deleted")).map(m -> m.json().path("runId").asText()).toList();
    }

    private static void assertGone(TestServer server, List<String> runIds) {
        for (String runId : runIds) {
            assertThat(server.get("/api/v2/workflows/runs/" + runId).status()).as("run %s is deleted", runId).isEqualTo(404);
            assertThat(server.get("/api/v2/workflows/runs/" + runId + "/events").status()).isEqualTo(404);
        }
    }

    private static void assertExist(TestServer server, List<String> runIds) {
        for (String runId : runIds) {
            assertThat(server.get("/api/v2/workflows/runs/" + runId).status()).as("run %s is kept", runId).isEqualTo(200);
        }
    }
}
