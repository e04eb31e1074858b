package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A script that floods its output: every line is stored, in order, once. */
@Timeout(180)
class ScriptFloodTest {
    @TempDir
    Path dir;

    @Test
    void aScriptPrinting200000LinesStoresAllOfThemInOrderWithNothingDuplicated() {
        try (TestServer server = TestServer.start(dir)) {
            server.apply("""
                    id: flood
                    steps:
                      - id: print
                        type: script
                        run: seq 1 200000
                    """);
            String runId = server.execute("flood", null);
            JsonNode run = server.awaitEnd(runId, Duration.ofSeconds(120));
            assertThat(run.path("status").asText()).isEqualTo("success");

            List<JsonNode> events = server.awaitHistory(runId);
            List<JsonNode> lines = events.stream().filter(e -> e.path("type").asText().equals("step_log")).toList();
            assertThat(lines).hasSize(200_000);
            for (int i = 0; i < lines.size(); i++) {
                JsonNode line = lines.get(i);
                if (!line.path("payload").path("message").asText().equals(Integer.toString(i + 1))) {
                    throw new AssertionError("line " + (i + 1) + " is " + line);
                }
            }
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).path("seq").asLong()).isEqualTo(i + 1);
            }
            assertThat(run.path("lastSeq").asLong()).isEqualTo(events.size());
        }
    }
}
