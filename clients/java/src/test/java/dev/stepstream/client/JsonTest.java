package dev.stepstream.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void anEnvelopeIsReadWithItsKeysInOrderAndItsValuesTyped() {
        Object value = Json.parse("""
                {"runId":"r1","seq":42,"type":"step_log","time":"2026-12-04T10:00:00Z",
                 "payload":{"stepId":"build","level":"warn","message":"caf\\u00e9 \\"done\\"\\n\\t","ratio":0.25,
                 "big":12345678901234567890,"exact":0.1000000000000000055511151231257827,"none":null,"ok":true,"list":[1,"two",[],{}]}}
                """);

        assertThat(value).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> envelope = (Map<String, Object>) value;
        assertThat(envelope.keySet()).containsExactly("runId", "seq", "type", "time", "payload");
        assertThat(envelope.get("seq")).isEqualTo(42L);
        @SuppressWarnings("unchecked")
        Map<String, Object> payload = (Map<String, Object>) envelope.get("payload");
        assertThat(payload.get("message")).isEqualTo("café \"done\"\n\t");
        assertThat(payload.get("ratio")).isEqualTo(0.25);
        assertThat(payload.get("big")).isEqualTo(new BigInteger("12345678901234567890"));
        assertThat(payload.get("exact")).isEqualTo(new BigDecimal("0.1000000000000000055511151231257827"));
        assertThat(payload.containsKey("none")).isTrue();
        assertThat(payload.get("none")).isNull();
        assertThat(payload.get("ok")).isEqualTo(true);
        assertThat(payload.get("list")).isEqualTo(List.of(1L, "two", List.of(), Map.of()));
        assertThatThrownBy(() -> payload.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void anEnvelopeReadShallowLeavesItsPayloadAsTextUntilAskedFor() {
        String line = "{\"runId\":\"r\",\"seq\":7,\"type\":\"step_log\",\"time\":\"t\","
                + "\"payload\":{\"message\":\"a } ] \\\" [ { quoted\",\"list\":[1,{\"k\":[]}]},\"extra\":[\"]\"]}";

        Map<String, Object> envelope = Json.parseShallow(line);

        assertThat(envelope.get("seq")).isEqualTo(7L);
        assertThat(envelope.get("payload")).isEqualTo(new Json.Unread("{\"message\":\"a } ] \\\" [ { quoted\",\"list\":[1,{\"k\":[]}]}"));
        assertThat(envelope.get("extra")).isEqualTo(new Json.Unread("[\"]\"]"));
        Event event = new Event("r", 7, "step_log", "t", envelope.get("payload"), line);
        assertThat(event.payload()).isEqualTo(Map.of("message", "a } ] \" [ { quoted", "list", List.of(1L, Map.of("k", List.of()))));
        assertThat(event.payload()).isSameAs(event.payload());
        for (String bad : List.of("[1]", "{\"payload\":{\"a\":\"open}", "{\"payload\":{", "{\"seq\":1} x")) {
            assertThatThrownBy(() -> Json.parseShallow(bad)).as(bad).hasMessageStartingWith("not JSON: ");
        }
    }

    @Test
    void surrogatePairsAndEscapedSurrogatesBothComeBackAsTheSameText() {
        assertThat(Json.parse("\"🚀 \\ud83d\\ude80\"")).isEqualTo("🚀 🚀");
    }

    @Test
    void whatIsNotJsonIsRefusedWithWhereItWentWrong() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "\"open", "tru", "01x", "-", "1.", "{} {}",
                "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "{1:2}")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not JSON: ").hasMessageContaining("at offset");
        }
    }

    @Test
    void nestingIsBoundedSoThatAHostileServerCannotOverflowTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).hasMessageContaining("nested deeper than");
        assertThat(Json.parse("[".repeat(100) + "]".repeat(100))).isInstanceOf(List.class);
    }

    @Test
    void writingGivesTextThatReadsBackTheSame() {
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("name", "Ada \"Lovelace\"\n\u0001\u2028");
        inputs.put("count", 3);
        inputs.put("ratio", 1.5);
        inputs.put("tags", Arrays.asList("a", null, true));
        inputs.put("nested", Map.of("k", List.of()));

        String text = Json.write(inputs);

        assertThat(text).startsWith("{\"name\":\"Ada \\\"Lovelace\\\"\\n\\u0001\\u2028\",\"count\":3,");
        assertThat(Json.parse(text)).isEqualTo(Map.of("name", "Ada \"Lovelace\"\n\u0001\u2028", "count", 3L, "ratio", 1.5,
                "tags", Arrays.asList("a", null, true), "nested", Map.of("k", List.of())));
        assertThatThrownBy(() -> Json.write(Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Json.write(Map.of(1, 2))).hasMessageContaining("keys are strings");
        assertThatThrownBy(() -> Json.write(new Object())).hasMessageContaining("cannot write");
    }
}
