package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Scrape;
import dev.stepstream.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lease lapsing and its runs taken over, driven by hand: two nodes on one PostgreSQL, each on
 * a clock of its own that the test moves. Node B's clock is moved past node A's lease (and the
 * grace) while A's stands still, as if A were paused; B takes A's run over and ends it; A, which
 * still believes it holds its lease, finishes its step and would start the next one, a script
 * that leaves a file behind, but its step_start is refused, and the script never runs. No real
 * lease is waited for.
 */
@Timeout(60)
class LeaseTakeoverTest {
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void aNodeWhoseClockPassedAnothersLeaseTakesItsRunOverAndTheOtherStartsNothingMore() throws Exception {
        Instant start = Instant.parse("2026-12-04T12:00:00Z");
        ManualClock clockA = new ManualClock(start);
        ManualClock clockB = new ManualClock(start);
        try (Postgres postgres = Postgres.schema();
             TestServer a = node(postgres, "node-a", clockA);
             TestServer b = node(postgres, "node-b", clockB)) {
            a.apply("""
                    id: gated
                    inputs:
                      gate: {type: string}
                    steps:
                      - id: wait
                        type: script
                        run: 'echo waiting; while [ ! -f "${inputs.gate}" ]; do sleep 0.02; done; echo released'
                      - id: after
                        type: script
                        run: 'touch "${inputs.gate}.after"'
                    """);
            Path gate = dir.resolve("gate");
            String runId = a.execute("gated", "{\"gate\": \"" + gate + "\"}");
            Await.until("node A runs the first step", Duration.ofSeconds(20), () ->
                    a.events(runId).stream().anyMatch(event -> event.path("payload").path("message").asText().equals("waiting"))
                            ? true : null);

            clockB.advance(LEASE.plusSeconds(2)); // past A's lease and the grace, by B's clock; A's stands still
            JsonNode ended = b.awaitEnd(runId, Duration.ofSeconds(20));
            assertThat(ended.path("status").asText()).isEqualTo("interrupted");

            Files.createFile(gate); // A's step ends now; A, its clock stopped, believes its lease holds
            Await.until("node A's driver of the run stops", Duration.ofSeconds(20), () ->
                    Scrape.of(a).value("stepstream_runs_active", "state=running") == 0 ? true : null);

            List<String> history = b.awaitRawHistory(runId);
            assertThat(history.stream().map(TestServer::typeOf).filter("run_complete"::equals)).hasSize(1);
            assertThat(TestServer.typeOf(history.getLast())).isEqualTo("run_complete");
            assertThat(String.join("\n", history)).doesNotContain("released");
            assertThat(gate.resolveSibling("gate.after")).as("node A ran no step after it lost the run").doesNotExist();
        }
    }

    private TestServer node(Postgres postgres, String nodeId, ManualClock clock) {
        return TestServer.start(dir.resolve(nodeId), clock, config -> config.withDb(postgres.url())
                        .withCluster(new ClusterSettings(nodeId, LEASE, Duration.ofMillis(200))));
    }
}
