package dev.stepstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.WsClient;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** What every stream must look like (docs/api.md, "The run stream"), checked the same way everywhere. */
final class Envelopes {
    static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");

    private Envelopes() {}

    /** Each envelope has runId, seq, type, time and payload; seqs count up by one from {@code firstSeq}. */
    static void assertWellFormed(List<JsonNode> envelopes, String runId, long firstSeq) {
        for (int i = 0; i < envelopes.size(); i++) {
            JsonNode envelope = envelopes.get(i);
            assertThat(envelope.path("runId").asText()).as("runId of %s", envelope).isEqualTo(runId);
            assertThat(envelope.path("seq").isIntegralNumber()).as("seq of %s", envelope).isTrue();
            assertThat(envelope.path("seq").asLong()).as("seq gapless from %d: envelope %d is %s", firstSeq, i, envelope)
                    .isEqualTo(firstSeq + i);
            assertThat(envelope.path("type").isTextual()).as("type of %s", envelope).isTrue();
            assertThat(envelope.path("time").asText()).as("time of %s", envelope).matches(TIME);
            assertThat(envelope.path("payload").isObject()).as("payload of %s", envelope).isTrue();
        }
    }

    /**
     * The whole contract of one connection that reads a run to its end: the envelopes, exactly
     * as the history has them, with one {@code caught_up} among them whose seq is the last seq
     * sent before it (or 0), and a close with 1000 after the {@code run_complete}.
     *
     * @param expected the history (as exact text) that this connection's filters and {@code after} select
     */
    static void assertWholeStream(WsClient client, List<String> expected, String runId) {
        WsClient.Close close = client.awaitClose();
        assertThat(close.code()).as("close after run_complete (%s)", close).isEqualTo(1000);
        assertThat(client.envelopeTexts()).as("the envelopes, exactly as the history has them")
                .containsExactlyElementsOf(expected);
        assertCaughtUpOnce(client, runId);
    }

    /** Exactly one {@code caught_up}, naming the run and the last seq sent before it (or 0). */
    static JsonNode assertCaughtUpOnce(WsClient client, String runId) {
        return assertCaughtUpOnce(client, runId, -1);
    }

    /**
     * Exactly one {@code caught_up}, naming the run and the last seq sent before it (or 0). For a
     * connection with filters or {@code after}, where "the last seq sent" may fairly be read as
     * the position the stream had reached, pass {@code atMost} (the run's last seq at the time):
     * then any seq from the last one sent up to {@code atMost} is accepted.
     */
    static JsonNode assertCaughtUpOnce(WsClient client, String runId, long atMost) {
        List<WsClient.Message> messages = client.messages();
        List<Integer> at = indexesOf(messages, m -> !m.isEnvelope() && m.type().equals("caught_up"));
        assertThat(at).as("one caught_up in %s", client.controls()).hasSize(1);
        JsonNode caughtUp = messages.get(at.get(0)).json();
        assertThat(caughtUp.path("runId").asText()).isEqualTo(runId);
        assertThat(caughtUp.has("seq")).as("caught_up carries no seq of its own: %s", caughtUp).isFalse();
        long lastSent = 0;
        for (int i = at.get(0) - 1; i >= 0; i--) {
            if (messages.get(i).isEnvelope()) {
                lastSent = messages.get(i).json().path("seq").asLong();
                break;
            }
        }
        assertThat(caughtUp.path("payload").path("seq").isIntegralNumber()).as("%s", caughtUp).isTrue();
        if (atMost < 0) {
            assertThat(caughtUp.path("payload").path("seq").asLong()).as("caught_up names the last seq sent: %s", caughtUp)
                    .isEqualTo(lastSent);
        } else {
            assertThat(caughtUp.path("payload").path("seq").asLong()).as("caught_up names the last seq sent, or where the"
                    + " stream has reached: %s", caughtUp).isBetween(lastSent, atMost);
        }
        return caughtUp;
    }

    static List<Integer> indexesOf(List<WsClient.Message> messages, Predicate<WsClient.Message> which) {
        return java.util.stream.IntStream.range(0, messages.size()).filter(i -> which.test(messages.get(i))).boxed().toList();
    }
}
