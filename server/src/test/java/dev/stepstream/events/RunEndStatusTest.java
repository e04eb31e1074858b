package dev.stepstream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepstream.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The one reading of a run_complete's status ({@link RunEvent#endStatus}) that the fold, the
 * store's checks, a topic and the metrics share: the same answer for an event made here and one
 * read back from its stored bytes, and an error naming the field when the status is unusable.
 */
class RunEndStatusTest {
    private static final UUID RUN = UUID.randomUUID();
    private static final Instant T = Instant.parse("2026-12-05T12:00:00Z");

    @Test
    void aRunCompleteEndsItsRunWithItsStatusWhetherMadeHereOrReadBack() {
        RunEvent made = RunEvent.create(RUN, 4, EventType.RUN_COMPLETE, T, Json.object().put("status", "failed").put("duration", 12));
        RunEvent stored = RunEvent.stored(RUN, 4, EventType.RUN_COMPLETE, T, made.json());

        assertThat(made.endStatus()).isEqualTo(RunStatus.FAILED);
        assertThat(stored.endStatus()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void anUnusableStatusIsRefusedNamingTheField() {
        RunEvent missing = RunEvent.create(RUN, 2, EventType.RUN_COMPLETE, T, Json.object());
        RunEvent number = RunEvent.create(RUN, 2, EventType.RUN_COMPLETE, T, Json.object().put("status", 3));
        RunEvent unknown = RunEvent.stored(RUN, 2, EventType.RUN_COMPLETE, T,
                ("{\"runId\":\"" + RUN + "\",\"seq\":2,\"type\":\"run_complete\",\"time\":\"2026-12-05T12:00:00.000Z\","
                        + "\"payload\":{\"status\":\"done\"}}").getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(missing::endStatus).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"status\"");
        assertThatThrownBy(number::endStatus).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"status\"");
        assertThatThrownBy(unknown::endStatus).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"done\"");
    }

    @Test
    void onlyARunCompleteEndsARun() {
        RunEvent start = RunEvent.create(RUN, 1, EventType.RUN_START, T, Json.object().put("status", "success"));

        assertThatThrownBy(start::endStatus).isInstanceOf(IllegalStateException.class).hasMessageContaining("run_start");
    }
}
