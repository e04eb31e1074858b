package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A queued run whose stored inputs cannot be read back, as an older version stored one with
 * {@code 1e400} (written out: 401 characters, over the reader's 100): it ends failed when it is
 * claimed, saying why, and the other runs, the run list and its own detail go on working. Before,
 * every claim of the node failed on it (no run of any workflow started), and so did the list.
 */
@Timeout(90)
class UnreadableInputsTest {
    @TempDir
    Path dir;

    @Test
    void aQueuedRunWhoseInputsCannotBeReadEndsFailedAloneAndTheNodeGoesOn() throws Exception {
        String queued;
        try (TestServer first = TestServer.start(dir)) {
            first.apply("""
                    id: one-at-a-time
                    inputs:
                      n: {type: number}
                    concurrency: {limit: 1}
                    steps:
                      - {id: wait, type: sleep, duration: 60s}
                    """);
            String running = first.execute("one-at-a-time", "{\"n\": 1}");
            Await.until("the first run to start", Duration.ofSeconds(30),
                    () -> first.run(running).path("status").asText().equals("running") ? true : null);
            queued = first.execute("one-at-a-time", "{\"n\": 2}");
            assertThat(first.run(queued).path("status").asText()).isEqualTo("queued");
        }
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("stepstream.db"));
             PreparedStatement update = db.prepareStatement("UPDATE runs SET inputs = ? WHERE run_id = ?")) {
            update.setBytes(1, ("{\"n\": 1" + "0".repeat(400) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            update.setString(2, queued);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }

        try (TestServer second = TestServer.start(dir)) {
            JsonNode ended = second.awaitEnd(queued);
            assertThat(ended.path("status").asText()).isEqualTo("failed");
            assertThat(ended.path("error").asText()).contains("its stored inputs cannot be read back");
            assertThat(second.get("/api/v2/workflows/runs?limit=50").status()).isEqualTo(200);
            TestServer.Response retry = second.post("/api/v2/workflows/runs/" + queued + "/retry", "{}");
            assertThat(retry.status()).as("a retry refused, saying why: %s", retry.text()).isEqualTo(422);
            assertThat(retry.body().path("error").path("message").asText()).contains("stored inputs cannot be read",
                    "execute the workflow again");
            second.apply("id: other\nsteps:\n  - {id: a, type: log, message: hi}\n");
            assertThat(second.awaitEnd(second.execute("other", null)).path("status").asText()).isEqualTo("success");
            assertThat(second.delete("/api/v2/workflows/runs/" + queued).status()).isEqualTo(204);
        }
    }
}
