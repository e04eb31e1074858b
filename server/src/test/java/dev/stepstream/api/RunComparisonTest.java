package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.NewRun;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.Commits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The caps on what of two runs' logs enters the comparison, on a store with runs written by hand. */
@Timeout(60)
class RunComparisonTest {
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00.000Z");
    @TempDir
    Path dir;
    Store store;

    @BeforeEach
    void open() {
        store = Stores.sqlite(dir.resolve("stepstream.db"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aStepWithMoreLinesThanTheCapIsCutAndSaysSo() {
        RunDetail a = runLogging(List.of("build", "test"), 5, 2);
        RunDetail b = runLogging(List.of("build", "test"), 5, 2);

        JsonNode body = RunComparison.compare(store, a, b, new RunComparison.Caps(3, 100, Integer.MAX_VALUE));

        JsonNode build = body.path("steps").get(0);
        assertThat(build.path("truncated").asBoolean()).isTrue();
        assertThat(build.path("log").findValuesAsText("text")).containsExactly("build 0", "build 1", "build 2");
        JsonNode test = body.path("steps").get(1);
        assertThat(test.path("truncated").asBoolean()).isFalse();
        assertThat(test.path("log")).hasSize(2);
    }

    @Test
    void aRunPastItsCapInAllCutsTheStepsThatComeAfter() {
        RunDetail a = runLogging(List.of("build", "test"), 3, 3);
        RunDetail b = runLogging(List.of("build", "test"), 1, 1);

        JsonNode body = RunComparison.compare(store, a, b, new RunComparison.Caps(100, 4, Integer.MAX_VALUE));

        assertThat(body.path("steps").get(0).path("truncated").asBoolean()).isFalse();
        assertThat(body.path("steps").get(1).path("truncated").asBoolean()).as("a kept 4 lines in all").isTrue();
        assertThat(body.path("steps").get(1).path("log").findValuesAsText("op")).containsExactly(" ");
    }

    @Test
    void aRunPastItsCharactersInAllCutsTheStepsThatComeAfter() {
        RunDetail a = runLogging(List.of("build", "test"), 3, 3); // lines of 7 characters: "build 0"…, "test 0"…
        RunDetail b = runLogging(List.of("build", "test"), 3, 3);

        JsonNode body = RunComparison.compare(store, a, b, new RunComparison.Caps(100, 100, 7 * 3 + 1));

        assertThat(body.path("steps").get(0).path("truncated").asBoolean()).isFalse();
        assertThat(body.path("steps").get(0).path("log")).hasSize(3);
        JsonNode test = body.path("steps").get(1);
        assertThat(test.path("truncated").asBoolean()).as("the run's characters were spent after one line of it").isTrue();
        assertThat(test.path("log").findValuesAsText("text")).containsExactly("test 0");
    }

    /** A run of these steps, one after another, each logging {@code first} then {@code second} lines. */
    private RunDetail runLogging(List<String> steps, int first, int second) {
        UUID runId = UUID.randomUUID();
        StringBuilder definition = new StringBuilder("{\"id\":\"w\",\"steps\":[");
        for (int i = 0; i < steps.size(); i++) {
            definition.append(i == 0 ? "" : ",").append("{\"id\":\"").append(steps.get(i)).append("\",\"type\":\"log\"}");
        }
        definition.append("]}");
        store.createRun(new NewRun(runId, "w", 1, definition.toString().getBytes(StandardCharsets.UTF_8),
                "{}".getBytes(StandardCharsets.UTF_8), T0, steps.stream().map(id -> new NewRun.StepRef(id, id)).toList()));
        List<RunEvent> events = new ArrayList<>();
        long seq = 0;
        events.add(RunEvent.create(runId, ++seq, EventType.RUN_START, T0, Json.object()));
        for (int i = 0; i < steps.size(); i++) {
            String step = steps.get(i);
            events.add(RunEvent.create(runId, ++seq, EventType.STEP_START, T0, Json.object().put("stepId", step).put("attempt", 1)));
            for (int line = 0; line < (i == 0 ? first : second); line++) {
                events.add(RunEvent.stepLog(runId, ++seq, T0, step, LogLevel.INFO, step + " " + line, false));
            }
            events.add(RunEvent.create(runId, ++seq, EventType.STEP_COMPLETE, T0,
                    Json.object().put("stepId", step).put("status", "success").put("attempt", 1).put("duration", 1)));
        }
        events.add(RunEvent.create(runId, ++seq, EventType.RUN_COMPLETE, T0, Json.object().put("status", "success").put("duration", 1)));
        Commits.commit(store, events);
        return store.findRun(runId).orElseThrow();
    }
}
