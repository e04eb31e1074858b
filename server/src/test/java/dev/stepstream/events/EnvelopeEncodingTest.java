package dev.stepstream.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Envelopes are written without a tree now (a script's lines by hand), yet stored and sent
 * events must stay byte for byte what they were: each is compared here with the encoding every
 * release so far wrote (the envelope built as a Jackson tree and serialised by the one mapper),
 * over a corpus of messages and payloads that covers JSON's escapes and UTF-8's byte lengths.
 */
@Timeout(30)
class EnvelopeEncodingTest {
    private static final UUID RUN = UUID.fromString("0b7e5a0c-9f43-4c1e-8d2a-3f6e1b2c4d5e");
    private static final Instant T = Instant.parse("2026-11-26T10:30:45.123Z");
    private static final List<UUID> RUNS = List.of(RUN, UUID.randomUUID(), UUID.randomUUID());
    private static final List<Instant> TIMES = List.of(T, T.plusMillis(1), T.plusSeconds(1), Instant.parse("2031-01-01T00:00:00Z"),
            T.plusNanos(456_789));

    /** How every event was encoded before: the envelope as an ObjectNode, written by the mapper. */
    private static byte[] treeEncoding(UUID runId, long seq, EventType type, Instant time, ObjectNode payload) {
        ObjectNode envelope = Json.object();
        envelope.put("runId", runId.toString());
        envelope.put("seq", seq);
        envelope.put("type", type.wire());
        envelope.put("time", DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(time));
        envelope.set("payload", payload);
        return Json.bytes(envelope);
    }

    /** The step_log payload as the run's driver built it before. */
    private static ObjectNode stepLogPayload(String stepId, LogLevel level, String message, Instant time, boolean truncated) {
        ObjectNode payload = Json.object().put("stepId", stepId).put("level", level.wire())
                .put("message", message).put("timestamp", Json.time(time));
        if (truncated) {
            payload.put("truncated", true);
        }
        return payload;
    }

    private static List<String> messages() {
        List<String> messages = new ArrayList<>(List.of(
                "", "compiling module 7 of the project", "a \"quoted\" word", "C:\\path\\to\\file", "tab\there",
                "carriage\rreturn", "form\ffeed and back\bspace", "nul \u0000 and unit separator \u001f", "delete \u007f",
                "slash / and </script>", "caf\u00e9 na\u00efve", "\u20ac 12", "\u65e5\u672c\u8a9e", "emoji \ud83d\ude80 rocket",
                "lone high \ud83d surrogate", "lone low \ude80 surrogate", "replacement \ufffd", "line\u2028separator",
                "{\"json\": [1, 2, 3]}", "x".repeat(16 * 1024), "\u00e9".repeat(8 * 1024)));
        Random random = new Random(42);
        for (int i = 0; i < 500; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(80);
            for (int j = 0; j < length; j++) {
                text.append(switch (random.nextInt(6)) {
                    case 0 -> (char) random.nextInt(0x80);        // any ASCII, control chars included
                    case 1 -> (char) (0x80 + random.nextInt(0x780)); // two UTF-8 bytes
                    case 2 -> (char) (0x800 + random.nextInt(0xD000)); // three bytes, up to the surrogates
                    default -> (char) (0x20 + random.nextInt(0x5F)); // printable ASCII
                });
            }
            messages.add(text.toString());
        }
        return messages;
    }

    @Test
    void stepLogEnvelopesAreByteForByteTheTreeEncoding() {
        long[] seqs = {1, 9, 10, 99, 100, 123_456_789, Long.MAX_VALUE};
        int compared = 0;
        for (String message : messages()) {
            for (LogLevel level : LogLevel.values()) {
                for (boolean truncated : new boolean[] {false, true}) {
                    long seq = seqs[compared % seqs.length];
                    UUID run = RUNS.get(compared % RUNS.size()); // runs and times change, as concurrent runs do
                    Instant time = TIMES.get(compared / 2 % TIMES.size());
                    RunEvent event = RunEvent.stepLog(run, seq, time, "build_2-x", level, message, truncated);
                    byte[] expected = treeEncoding(run, seq, EventType.STEP_LOG, time, stepLogPayload("build_2-x", level, message, time, truncated));
                    assertThat(new String(event.json(), StandardCharsets.UTF_8))
                            .as("message %s", message.chars().limit(40).mapToObj(Integer::toHexString).toList())
                            .isEqualTo(new String(expected, StandardCharsets.UTF_8));
                    assertThat(event.json()).isEqualTo(expected);
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThan(4_000);
    }

    @Test
    void aStepLogReadsBackTheFieldsItWasMadeOf() {
        RunEvent event = RunEvent.stepLog(RUN, 42, T, "build", LogLevel.WARN, "disk \"almost\" full", true);

        assertThat(event.type()).isEqualTo(EventType.STEP_LOG);
        assertThat(event.payload().path("message").asText()).isEqualTo("disk \"almost\" full");
        assertThat(event.payload().path("truncated").asBoolean()).isTrue();
        assertThat(RunEvent.fromJson(event.json()).seq()).isEqualTo(42);
        assertThat(RunEvent.fromJson(event.json()).time()).isEqualTo(T);
    }

    @Test
    void everyEnvelopeIsByteForByteTheTreeEncoding() throws Exception {
        List<String> payloads = new ArrayList<>(List.of(
                "{}",
                "{\"workflowId\":\"deploy\",\"workflowVersion\":3,\"inputs\":{\"who\":\"w\u00f6rld\",\"times\":2}}",
                "{\"stepId\":\"build\",\"stepName\":\"Build \\\"it\\\"\",\"status\":\"failed\",\"attempt\":2,\"duration\":1234,\"error\":\"exit 1\"}",
                "{\"stepId\":\"s\",\"varName\":\"price\",\"changeType\":\"update\",\"oldValue\":100.0,\"newValue\":1E+2}",
                "{\"varName\":\"big\",\"newValue\":12345678901234567890.000000000000000001,\"small\":1e-30,\"neg\":-0.0}",
                "{\"list\":[1,\"two\",null,true,false,{\"n\":[]},[[]]],\"nothing\":null}",
                "{\"\u65e5\u672c\":\"\ud83d\ude80\",\"ctl\":\"\\u0001\\n\\t\"}",
                "{\"status\":\"success\",\"duration\":0,\"error\":null}"));
        for (String message : messages().subList(0, 40)) {
            payloads.add(Json.text(Json.object().put("message", message)));
        }
        for (String text : payloads) {
            for (EventType type : EventType.values()) {
                ObjectNode payload = (ObjectNode) Json.MAPPER.readTree(text);
                RunEvent event = RunEvent.create(RUN, 7, type, T, payload);
                assertThat(event.json()).as(text).isEqualTo(treeEncoding(RUN, 7, type, T, payload));
            }
        }
    }
}
