package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.json.Json;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code caught_up} is written as text now, no longer built as a tree and serialised: every
 * client must still get the bytes it always got (docs/api.md, "Control messages").
 */
class CaughtUpTest {
    @Test
    void caughtUpIsByteForByteTheMessageTheMapperWrote() {
        for (long seq : new long[] {0, 1, 42, 1_000_000, Long.MAX_VALUE}) {
            UUID runId = UUID.randomUUID();
            byte[] asTree = Json.bytes(Json.object().put("type", "caught_up").put("runId", runId.toString())
                    .set("payload", Json.object().put("seq", seq)));

            assertThat(Subscriber.caughtUp(runId, seq)).as("seq %d", seq).isEqualTo(asTree);
        }
    }
}
