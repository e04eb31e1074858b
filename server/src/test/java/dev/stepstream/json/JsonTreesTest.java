package dev.stepstream.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTreesTest {
    private static final List<String> DOCUMENTS = List.of(
            "{\"runs\":[{\"runId\":\"a\",\"duration\":1.50,\"count\":3,\"big\":12345678901234,"
                    + "\"huge\":123456789012345678901234567890,\"ok\":true,\"no\":false,\"none\":null,\"e\":1E+2}],"
                    + "\"nextCursor\":null}",
            "[]", "{}", "[[[]],{\"a\":{\"b\":[1,2.0,\"x\"]}}]", "\"just text, é ✓\"", "42", "-0.000", "null",
            "{\"same\":1,\"same\":2}", "  {\"a\":1}  ", "{\"a\":1} trailing");

    @Test
    void readsEveryDocumentAsTheMapperDoes() throws IOException {
        for (String document : DOCUMENTS) {
            byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
            JsonNode expected = Json.MAPPER.readTree(bytes);
            JsonNode read = JsonTrees.read(bytes);
            assertThat(read).as(document).isEqualTo(expected);
            assertThat(read.toString()).as(document + ", written back").isEqualTo(expected.toString());
            assertThat(JsonTrees.read(document)).as(document + ", from text").isEqualTo(Json.MAPPER.readTree(document));
        }
    }

    @Test
    void writesEveryTreeAsItsToStringDoes() throws IOException {
        for (String document : DOCUMENTS) {
            JsonNode tree = Json.MAPPER.readTree(document);
            assertThat(JsonTrees.write(tree)).as(document).isEqualTo(tree.toString());
        }
        // What the parsers never make but a tree built in code can hold.
        ObjectNode built = Json.object();
        built.put("double", 0.1).put("float", 2.5f).put("binary", new byte[] {1, 2, 3}).put("long", Long.MIN_VALUE)
                .put("text", "tab\t nul\u0000 quote\" é ✓ \uD83D\uDE00").putNull("null");
        built.putArray("empty");
        built.putObject("nested").putArray("a").add(Json.object()).add(1.0e300);
        assertThat(JsonTrees.write(built)).isEqualTo(built.toString());
        assertThat(JsonTrees.write(MissingNode.getInstance())).isEqualTo(MissingNode.getInstance().toString());
        String deep = "[".repeat(200) + "]".repeat(200);
        assertThat(JsonTrees.write(JsonTrees.read(deep))).isEqualTo(deep);
    }

    @Test
    void decimalsStayAsWrittenAndNumbersKeepTheirSize() throws IOException {
        JsonNode read = JsonTrees.read("{\"d\":100.0,\"i\":7,\"l\":8000000000,\"b\":90000000000000000000}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(read.get("d").decimalValue().toPlainString()).isEqualTo("100.0");
        assertThat(read.get("i").isInt()).isTrue();
        assertThat(read.get("l").isLong()).isTrue();
        assertThat(read.get("b").isBigInteger()).isTrue();
    }

    @Test
    void theLimitsThatProtectTheServerApplyToBoth() {
        byte[] deep = ("[".repeat(201) + "]".repeat(201)).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JsonTrees.read(deep)).isInstanceOf(StreamConstraintsException.class);
        assertThatThrownBy(() -> Json.MAPPER.readTree(deep)).isInstanceOf(StreamConstraintsException.class);
        byte[] longNumber = ("1".repeat(101)).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JsonTrees.read(longNumber)).isInstanceOf(StreamConstraintsException.class);
        assertThatThrownBy(() -> Json.MAPPER.readTree(longNumber)).isInstanceOf(StreamConstraintsException.class);
        assertThatThrownBy(() -> JsonTrees.read("{\"a\":".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class);
    }
}
