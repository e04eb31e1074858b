package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Cancel, and the bound on runs executing at once (one slot here, so the rest queue). */
@Timeout(60)
class CancelTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withMaxConcurrentRuns(1));
        server.apply("""
                id: long-script
                inputs:
                  pidfile: {type: string, required: true}
                steps:
                  - id: work
                    type: script
                    run: |
                      sleep 600 &
                      echo $! > "${inputs.pidfile}"
                      echo started
                      wait
                  - id: after
                    type: log
                    message: never
                """);
        server.apply("""
                id: short
                steps:
                  - {id: a, type: log, message: hi}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void cancelDuringAScriptKillsItsProcessTreeAndLaterStepsNeverStart(@TempDir Path scratch) throws Exception {
        Path pidfile = scratch.resolve("pid");
        String runId = server.execute("long-script", "{\"pidfile\": \"" + pidfile + "\"}");
        long childPid = Await.until("the script has started its child", Duration.ofSeconds(10), () -> {
            try {
                String text = Files.exists(pidfile) ? Files.readString(pidfile).trim() : "";
                return text.isEmpty() ? null : Long.parseLong(text);
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertThat(ProcessHandle.of(childPid)).isPresent();

        long asked = System.nanoTime();
        TestServer.Response cancel = server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        assertThat(cancel.status()).isEqualTo(202);
        JsonNode run = server.awaitEnd(runId, Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(1));

        assertThat(run.path("status").asText()).isEqualTo("cancelled");
        assertThat(run.path("steps").get(0).path("status").asText()).isEqualTo("cancelled");
        assertThat(run.path("steps").get(1).path("status").asText()).isEqualTo("pending");
        Await.until("the script's child is gone", Duration.ofSeconds(5),
                () -> ProcessHandle.of(childPid).map(ProcessHandle::isAlive).orElse(false) ? null : true);
        List<JsonNode> events = server.awaitHistory(runId);
        assertThat(TestServer.payloads(events, "step_start", p -> p.path("stepId").asText())).containsExactly("work");
        assertThat(events.get(events.size() - 1).path("payload").path("status").asText()).isEqualTo("cancelled");

        TestServer.Response again = server.post("/api/v2/workflows/runs/" + runId + "/cancel", "");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body().path("error").path("code").asText()).isEqualTo("run_finished");
    }

    @Test
    void runsBeyondTheConcurrencyLimitWaitQueuedAndCanBeCancelledThere(@TempDir Path scratch) throws Exception {
        Path pidfile = scratch.resolve("pid");
        String first = server.execute("long-script", "{\"pidfile\": \"" + pidfile + "\"}");
        Await.until("the first run is running", Duration.ofSeconds(10),
                () -> server.run(first).path("status").asText().equals("running") ? true : null);
        String second = server.execute("short", null);
        String third = server.execute("short", null);
        assertThat(server.run(second).path("status").asText()).isEqualTo("queued");

        assertThat(server.post("/api/v2/workflows/runs/" + second + "/cancel", "").status()).isEqualTo(202);
        JsonNode cancelled = server.awaitEnd(second, Duration.ofSeconds(5));
        assertThat(cancelled.path("status").asText()).isEqualTo("cancelled");
        assertThat(server.awaitHistory(second)).extracting(e -> e.path("type").asText()).containsExactly("run_complete");
        assertThat(server.run(third).path("status").asText()).as("still waiting for the slot").isEqualTo("queued");

        server.post("/api/v2/workflows/runs/" + first + "/cancel", "");
        assertThat(server.awaitEnd(third).path("status").asText()).isEqualTo("success");
    }
}
