package dev.stepstream.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputsTest {
    private static final Map<String, InputSpec> DECLARED = declared();

    @Test
    void givenInputsAreBoundInDeclarationOrderWithDefaults() throws Exception {
        assertThat(Inputs.bind(DECLARED, json("{\"times\": 3, \"who\": \"Ada\"}")).toString())
                .isEqualTo("{\"who\":\"Ada\",\"times\":3,\"limit\":10}");
        assertThat(Inputs.bind(DECLARED, json("{\"times\": 3}")).toString())
                .isEqualTo("{\"who\":\"world\",\"times\":3,\"limit\":10}");
        assertThat(Inputs.bind(DECLARED, json("{\"times\": 3, \"tags\": [\"a\"], \"who\": null}")).toString())
                .isEqualTo("{\"who\":\"world\",\"times\":3,\"tags\":[\"a\"],\"limit\":10}");
    }

    @Test
    void noInputsAtAllIsFineWhenNothingIsRequired() throws Exception {
        Map<String, InputSpec> optional = Map.of("who", new InputSpec(InputType.STRING, false, null));
        assertThat(Inputs.bind(optional, null).isEmpty()).isTrue();
        assertThat(Inputs.bind(optional, MissingNode.getInstance()).isEmpty()).isTrue();
        assertThat(Inputs.bind(optional, json("null")).isEmpty()).isTrue();
        assertThat(Inputs.bind(Map.of(), json("{}")).isEmpty()).isTrue();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThat(problems(json("{\"who\": 5, \"colour\": \"red\", \"tags\": \"a\", \"extra\": 1}"))).containsExactly(
                "inputs.who: expected string, got number",
                "inputs.times: required",
                "inputs.tags: expected array, got string",
                "inputs.colour: unknown input (declared: who, times, tags, limit)",
                "inputs.extra: unknown input (declared: who, times, tags, limit)");
    }

    @Test
    void aRequiredInputWithADefaultTakesTheDefault() throws Exception {
        assertThat(Inputs.bind(DECLARED, json("{\"times\": 1}")).get("limit").asInt()).isEqualTo(10);
    }

    @Test
    void inputsMustBeAnObject() {
        assertThat(problems(json("[1]"))).containsExactly("inputs: expected an object, got array");
        assertThat(problems(json("\"x\""))).containsExactly("inputs: expected an object, got string");
    }

    @Test
    void aWorkflowWithoutInputsRefusesAny() {
        assertThatThrownBy(() -> Inputs.bind(Map.of(), json("{\"who\": 1}")))
                .isInstanceOfSatisfying(InvalidException.class, e -> assertThat(e.problems())
                        .containsExactly(new Problem("inputs.who", "unknown input (this workflow has no inputs)")));
    }

    @Test
    void theBoundInputsAreCopies() throws Exception {
        JsonNode given = json("{\"times\": 1, \"tags\": [\"a\"]}");
        Inputs.bind(DECLARED, given).withArray("tags").add("b");
        assertThat(given.toString()).isEqualTo("{\"times\":1,\"tags\":[\"a\"]}");
    }

    private static List<String> problems(JsonNode given) {
        try {
            Inputs.bind(DECLARED, given);
        } catch (InvalidException e) {
            return e.problems().stream().map(Problem::toString).toList();
        }
        throw new AssertionError("expected problems");
    }

    private static Map<String, InputSpec> declared() {
        Map<String, InputSpec> declared = new LinkedHashMap<>();
        declared.put("who", new InputSpec(InputType.STRING, false, json("\"world\"")));
        declared.put("times", new InputSpec(InputType.NUMBER, true, null));
        declared.put("tags", new InputSpec(InputType.ARRAY, false, null));
        declared.put("limit", new InputSpec(InputType.NUMBER, true, json("10")));
        return declared;
    }

    private static JsonNode json(String text) {
        return ExpressionsTest.json(text);
    }
}
