package dev.stepstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import org.junit.jupiter.api.Test;

/** The JSON of {@code --json}: DEL and C1 controls escaped, every other byte as before. */
class JsonOutputTest {
    /** C0 controls, quotes, non-ASCII, a decimal Jackson writes in E notation, nesting: all that JSON writers differ on. */
    private static final String ORDINARY = """
            {"text":"tab\\t esc\\u001B quote\\" back\\\\ é ✔ 日本 \\uD83D\\uDE00","n":1E-7,"m":100.0,"big":123456789012345678901234567890,\
            "list":[true,null,{"a":"\\u0000"}]}""";

    @Test
    void aNodeWithoutDelOrC1IsWrittenAsItsToStringWritesIt() throws Exception {
        JsonNode node = Json.MAPPER.readTree(ORDINARY);

        assertThat(JsonOutput.of(node)).isEqualTo(node.toString());
    }

    @Test
    void delAndC1ControlsAreEscapedAndNothingElse() throws Exception {
        JsonNode node = Json.object().put("text", "del\u007f nel\u0085 csi\u009b[2J apc\u009f nbsp\u00a0 esc\u001b");

        String written = JsonOutput.of(node);

        assertThat(written).isEqualTo("{\"text\":\"del\\u007F nel\\u0085 csi\\u009B[2J apc\\u009F nbsp\u00a0 esc\\u001B\"}");
        assertThat(Json.MAPPER.readTree(written)).isEqualTo(node);
    }

    @Test
    void aLineAsTheServerSentItKeepsEveryByteButDelAndC1() {
        String server = "{\"n\":1.50, \"text\":\"csi\u009b[2J del\u007f esc\\u001b é\"}";

        assertThat(JsonOutput.line(server)).isEqualTo("{\"n\":1.50, \"text\":\"csi\\u009B[2J del\\u007F esc\\u001b é\"}");
        assertThat(JsonOutput.line(ORDINARY)).isSameAs(ORDINARY);
    }
}
