package dev.stepstream.execution;

import static dev.stepstream.execution.GraphTest.stepOf;
import static dev.stepstream.testing.TestServer.payloads;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.JsonTarget;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Step outputs (docs/workflows.md, "Outputs"): written, carried by events, read by expressions, bounded. */
@Timeout(60)
class StepOutputsTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aScriptsOutputsReachTheStepsThatNeedItTheEventsAndTheRunDetail() {
        server.apply("""
                id: release
                steps:
                  - id: build
                    type: script
                    run: |
                      echo "version=1.4.2" >> "$STEPSTREAM_OUTPUT"
                      printf 'notes<<END\\nfirst line\\nsecond = line\\nEND\\n' >> "$STEPSTREAM_OUTPUT"
                      echo "empty=" >> "$STEPSTREAM_OUTPUT"
                  - id: unit
                    needs: [build]
                    type: log
                    message: "testing ${steps.build.outputs.version}"
                  - id: ship
                    needs: [unit]
                    type: set
                    vars: {shipped: "${steps.build.outputs.version}", notes: "${steps.build.outputs.notes}"}
                """);
        String runId = server.execute("release", null);
        JsonNode run = server.awaitEnd(runId);
        List<JsonNode> events = server.awaitHistory(runId);

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        JsonNode outputs = stepOf(run, "build").path("outputs");
        assertThat(outputs.path("version").asText()).isEqualTo("1.4.2");
        assertThat(outputs.path("notes").asText()).isEqualTo("first line\nsecond = line");
        assertThat(outputs.path("empty").asText()).isEmpty();
        assertThat(stepOf(run, "unit").path("outputs").isEmpty()).as("a step without outputs has {}").isTrue();
        assertThat(payloads(events, "step_complete", p -> p).getFirst().path("outputs")).isEqualTo(outputs);
        assertThat(payloads(events, "step_log", p -> p.path("message").asText())).contains("testing 1.4.2");
        assertThat(run.path("variables").path("shipped").asText()).isEqualTo("1.4.2");
        assertThat(run.path("variables").path("notes").asText()).isEqualTo("first line\nsecond = line");
    }

    @Test
    void anHttpStepsOutputsAreItsResponse() {
        JsonNode run;
        try (JsonTarget target = JsonTarget.serving("/release", "{\"id\": \"release\"}")) {
            server.apply("""
                    id: calls
                    steps:
                      - id: call
                        type: http
                        url: "%s"
                      - id: read
                        type: set
                        vars: {status: "${steps.call.outputs.status}", id: "${steps.call.outputs.body.id}"}
                    """.formatted(target.url()));
            run = server.awaitEnd(server.execute("calls", null));
        }

        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(stepOf(run, "call").path("outputs").path("status").asInt()).isEqualTo(200);
        assertThat(stepOf(run, "call").path("outputs").path("headers").path("content-type").asText()).contains("json");
        assertThat(run.path("variables").path("status").asInt()).isEqualTo(200);
        assertThat(run.path("variables").path("id").asText()).isEqualTo("release");
    }

    @Test
    void aValueOver16KiBIsCutAndMarkedInItsEvent() {
        server.apply("""
                id: big-value
                steps:
                  - id: big
                    type: script
                    run: 'printf "big=%s\\n" "$(head -c 20000 /dev/zero | tr "\\\\0" x)" >> "$STEPSTREAM_OUTPUT"'
                """);
        String runId = server.execute("big-value", null);
        JsonNode run = server.awaitEnd(runId);

        JsonNode complete = payloads(server.awaitHistory(runId), "step_complete", p -> p).getFirst();
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(complete.path("outputs").path("big").asText()).hasSize(16 * 1024).matches("x+");
        assertThat(complete.path("truncated").asBoolean()).isTrue();
        assertThat(stepOf(run, "big").path("outputs").path("big").asText()).hasSize(16 * 1024);
    }

    @Test
    void aGigabyteOutputFileFailsTheStepUnreadAndTheServerGoesOn() {
        server.apply("""
                id: huge-output
                steps:
                  - id: huge
                    type: script
                    run: 'truncate -s 1G "$STEPSTREAM_OUTPUT"'
                """);
        JsonNode run = server.awaitEnd(server.execute("huge-output", null));

        assertThat(run.path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(run, "huge").path("error").asText())
                .isEqualTo("$STEPSTREAM_OUTPUT holds 1073741824 bytes, over the limit of 1 MiB");
        assertThat(server.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    void aMalformedOutputLineFailsTheStepNamingTheLine() {
        server.apply("""
                id: bad-output
                steps:
                  - id: bad
                    type: script
                    run: 'printf "ok=1\\njust words\\n" >> "$STEPSTREAM_OUTPUT"'
                  - id: open
                    type: script
                    run: 'printf "notes<<END\\nnever closed\\n" >> "$STEPSTREAM_OUTPUT"'
                    continueOnError: true
                """);
        JsonNode run = server.awaitEnd(server.execute("bad-output", null));

        assertThat(stepOf(run, "bad").path("error").asText())
                .isEqualTo("$STEPSTREAM_OUTPUT line 2: expected name=value or name<<DELIMITER, got \"just words\"");
    }

    @Test
    void aFailedScriptKeepsItsOutputsForWhoeverLooks() {
        server.apply("""
                id: failing-with-outputs
                steps:
                  - id: check
                    type: script
                    run: 'echo "reason=disk full" >> "$STEPSTREAM_OUTPUT"; exit 3'
                """);
        JsonNode run = server.awaitEnd(server.execute("failing-with-outputs", null));

        assertThat(stepOf(run, "check").path("status").asText()).isEqualTo("failed");
        assertThat(stepOf(run, "check").path("outputs").path("reason").asText()).isEqualTo("disk full");
    }
}
