package dev.stepstream.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.stepstream.json.Json;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpressionsTest {
    private static final Map<String, Object> SCOPE = scope("""
            {"inputs": {"who": "world", "times": 3, "price": 1.5},
             "vars": {"n": 5, "done": false, "list": [1, 2, 3], "nothing": null,
                      "user": {"status": 200, "body": {"name": "Ada", "tags": ["x", "y"]}}, "x-y": 7},
             "run": {"id": "6f1c0000-0000-4000-8000-000000000000", "workflowId": "hello"},
             "steps": {"greet": {"status": "success"}, "later": {"status": "pending"}}}
            """);

    @Test
    void aStringThatIsOneExpressionKeepsTheValuesType() throws Exception {
        assertThat(render("${inputs.times * 2}")).isEqualTo(json("6"));
        assertThat(render("${inputs.times * 2}").isInt()).isTrue();
        assertThat(render("${vars.n > 3 && !vars.done}")).isEqualTo(json("true"));
        assertThat(render("${vars.user.body}")).isEqualTo(json("{\"name\": \"Ada\", \"tags\": [\"x\", \"y\"]}"));
        assertThat(render("${vars.list}")).isEqualTo(json("[1, 2, 3]"));
        assertThat(render("${vars.nothing}").isNull()).isTrue();
        assertThat(render("${inputs.price * 2}").decimalValue()).isEqualByComparingTo(new BigDecimal("3.0"));
        assertThat(render("${ {'b': 1, 'a': [inputs.who]} }").toString()).isEqualTo("{\"b\":1,\"a\":[\"world\"]}");
    }

    @Test
    void textAroundExpressionsJoinsTheirValuesAsText() throws Exception {
        assertThat(render("Hello ${inputs.who}!").textValue()).isEqualTo("Hello world!");
        assertThat(render("${inputs.times} times").textValue()).isEqualTo("3 times");
        assertThat(render("${inputs.who}${inputs.times}").textValue()).isEqualTo("world3");
        assertThat(render("user ${vars.user.body} list ${vars.list} done ${vars.done}").textValue())
                .isEqualTo("user {\"name\":\"Ada\",\"tags\":[\"x\",\"y\"]} list [1,2,3] done false");
    }

    @Test
    void nullJoinsAsTheEmptyString() throws Exception {
        assertThat(render("[${vars.nothing}]").textValue()).isEqualTo("[]");
        assertThat(render("[${vars.missing}]").textValue()).isEqualTo("[]");
    }

    @Test
    void dollarDollarBraceIsALiteralDollarBrace() throws Exception {
        assertThat(render("$${inputs.who} is ${inputs.who}").textValue()).isEqualTo("${inputs.who} is world");
        assertThat(render("$${inputs.who}").textValue()).isEqualTo("${inputs.who}");
        assertThat(render("costs $5 and $$").textValue()).isEqualTo("costs $5 and $$");
    }

    @Test
    void bracesAndQuotesInsideAnExpressionDoNotEndIt() throws Exception {
        assertThat(render("${ {'a': 1}.a }")).isEqualTo(json("1"));
        assertThat(render("${'}'}").textValue()).isEqualTo("}");
        assertThat(render("${\"a}b\" + '{'}").textValue()).isEqualTo("a}b{");
        assertThat(render("x${ {'k': {'n': '}}'}}.k.n }y").textValue()).isEqualTo("x}}y");
        assertThat(render("${'it\\'s'}").textValue()).isEqualTo("it's");
    }

    @Test
    void expressionsReadPropertiesIndexesAndRunInformation() throws Exception {
        assertThat(Expressions.evaluate("vars.user.body.name", SCOPE)).isEqualTo("Ada");
        assertThat(Expressions.evaluate("vars.user.body.tags[1]", SCOPE)).isEqualTo("y");
        assertThat(Expressions.evaluate("vars['x-y']", SCOPE)).isEqualTo(7);
        assertThat(Expressions.evaluate("vars.list[0] + vars.list[2]", SCOPE)).isEqualTo(4);
        assertThat(Expressions.evaluate("run.workflowId + '/' + run.id", SCOPE))
                .isEqualTo("hello/6f1c0000-0000-4000-8000-000000000000");
        assertThat(Expressions.evaluate("steps.greet.status == 'success'", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("'a' + inputs.who", SCOPE)).isEqualTo("aworld");
    }

    @Test
    void expressionsComputeCompareAndChoose() throws Exception {
        assertThat(Expressions.evaluate("inputs.times * 2 + 1", SCOPE)).isEqualTo(7);
        assertThat(Expressions.evaluate("7 / 2", SCOPE)).isEqualTo(3);
        assertThat(Expressions.evaluate("7 % 4", SCOPE)).isEqualTo(3);
        assertThat(Expressions.evaluate("inputs.times >= 3 ? 'many' : 'few'", SCOPE)).isEqualTo("many");
        assertThat(Expressions.evaluate("vars.n != 5 || inputs.who == 'world'", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("2 =~ vars.list", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("'x' =~ vars.user.body.tags", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("inputs.who =~ 'w.*d'", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("size(vars.list)", SCOPE)).isEqualTo(3);
        assertThat(Expressions.evaluate("empty(vars.nothing)", SCOPE)).isEqualTo(true);
    }

    @Test
    void aKeyMissingFromAMapIsNullAndNullHasDefaults() throws Exception {
        assertThat(Expressions.evaluate("vars.missing", SCOPE)).isNull();
        assertThat(Expressions.evaluate("vars.missing ?? 'fallback'", SCOPE)).isEqualTo("fallback");
        assertThat(Expressions.evaluate("vars.missing?.deeper", SCOPE)).isNull();
        assertThat(Expressions.evaluate("!vars.missing", SCOPE)).isEqualTo(true);
        assertThat(Expressions.evaluate("vars.missing == null", SCOPE)).isEqualTo(true);
    }

    @Test
    void anUndefinedVariableFailsAndTheMessageNamesTheExpression() {
        assertThatThrownBy(() -> Expressions.evaluate("input.who", SCOPE))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expression \"input.who\" failed: undefined variable \"input\"");
    }

    @Test
    void failuresSayWhatWentWrongWithoutJavaNames() {
        assertFailure("vars.missing.deeper", "expression \"vars.missing.deeper\" failed: cannot read a property of null (after \"missing\")");
        assertFailure("vars.n / 0", "expression \"vars.n / 0\" failed: division by zero");
        assertFailure("vars.nothing * 2", "expression \"vars.nothing * 2\" failed: cannot apply * to null");
        assertFailure("vars.list[7]", "expression \"vars.list[7]\" failed: index 7 is out of range");
        assertFailure("'abc' * 2", "expression \"'abc' * 2\" failed: cannot apply * to these values");
        assertFailure("'abc' =~ '['", "expression \"'abc' =~ '['\" failed: invalid regular expression: Unclosed character class");
    }

    @Test
    void renderingFailsWithTheFailingExpressionNamed() {
        assertThatThrownBy(() -> render("count: ${vars.count * 2}"))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expression \"vars.count * 2\" failed: cannot apply * to null");
        assertThatThrownBy(() -> render("Hello ${inputs.who"))
                .hasMessage("expression \"${inputs.who\" is not closed with \"}\"");
    }

    @Test
    void aRegularExpressionThatWouldBacktrackForeverIsStopped() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> Expressions.evaluate("'" + "a".repeat(40) + "!' =~ '(.*a){20}'", SCOPE))
                .hasMessageEndingWith("failed: regular expression takes too long on this text");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    }

    @Test
    void aRangeTooLargeForJsonIsRefusedWhenRendered() throws Exception {
        assertThatThrownBy(() -> render("${1..2000000000}"))
                .hasMessage("expression \"1..2000000000\" failed: the result has 2000000000 elements, more than 100000");
        assertThat(Expressions.evaluate("size(1..2000000000)", SCOPE)).isEqualTo(2000000000);
    }

    @Test
    void renderWalksObjectsAndArraysButNotKeys() throws Exception {
        JsonNode template = json("""
                {"url": "http://x/${inputs.who}", "${inputs.who}": "key stays",
                 "body": {"n": "${inputs.times}", "list": ["${vars.done}", 1, "plain"]}, "flag": true}
                """);
        assertThat(Expressions.render(template, SCOPE)).isEqualTo(json("""
                {"url": "http://x/world", "${inputs.who}": "key stays",
                 "body": {"n": 3, "list": [false, 1, "plain"]}, "flag": true}
                """));
    }

    @Test
    void renderReturnsWhatHasNoExpressionsUntouched() throws Exception {
        JsonNode template = json("{\"a\": \"plain\", \"b\": [1, {\"c\": \"text\"}], \"d\": \"${inputs.who}\"}");
        JsonNode rendered = Expressions.render(template, SCOPE);
        assertThat(rendered.get("a")).isSameAs(template.get("a"));
        assertThat(rendered.get("b")).isSameAs(template.get("b"));
        JsonNode plain = json("{\"a\": \"plain\", \"b\": [1, 2]}");
        assertThat(Expressions.render(plain, SCOPE)).isSameAs(plain);
    }

    @Test
    void whenIsABooleanARenderedStringOrARawExpression() throws Exception {
        assertThat(Expressions.test(null, SCOPE)).isTrue();
        assertThat(Expressions.test(json("true"), SCOPE)).isTrue();
        assertThat(Expressions.test(json("false"), SCOPE)).isFalse();
        assertThat(Expressions.test(text("${vars.n > 3}"), SCOPE)).isTrue();
        assertThat(Expressions.test(text("vars.n > 30"), SCOPE)).isFalse();
        assertThat(Expressions.test(text("${steps.greet.status == 'success'}"), SCOPE)).isTrue();
        assertThat(Expressions.test(text("${vars.missing}"), SCOPE)).isFalse();
        assertThat(Expressions.test(text("vars.missing"), SCOPE)).isFalse();
        assertThat(Expressions.test(text("${vars.done}"), SCOPE)).isFalse();
        assertThat(Expressions.test(text("true"), SCOPE)).isTrue();
        assertThat(Expressions.test(text("${'true'}"), SCOPE)).isTrue();
    }

    @Test
    void whenMustComeOutTrueOrFalse() {
        assertThatThrownBy(() -> Expressions.test(text("${vars.n}"), SCOPE))
                .isInstanceOf(ExpressionException.class).hasMessage("when: expected true or false, got 5");
        assertThatThrownBy(() -> Expressions.test(text("vars.user.body.name"), SCOPE))
                .hasMessage("when: expected true or false, got \"Ada\"");
        assertThatThrownBy(() -> Expressions.test(json("3"), SCOPE))
                .hasMessage("when: expected true or false, got 3");
        assertThatThrownBy(() -> Expressions.test(text("n is ${vars.n}"), SCOPE))
                .hasMessage("when: expected true or false, got \"n is 5\"");
    }

    @Test
    void checkAcceptsWellFormedTemplates() {
        assertThat(Expressions.check("plain text, no expressions")).isEmpty();
        assertThat(Expressions.check("Hello ${inputs.who}, you are ${vars.user.body.name}")).isEmpty();
        assertThat(Expressions.check("${ {'a': '}'}.a } and $${not an expression")).isEmpty();
        assertThat(Expressions.check("${steps.greet.status == 'success' && run.id != null}")).isEmpty();
    }

    @Test
    void checkReportsEveryBrokenExpressionByName() {
        assertThat(Expressions.check("${inputs.who +} and ${vars.n * 2} and ${foo.bar}")).containsExactly(
                "expression \"inputs.who +\" does not parse: unexpected \"+\" at column 12",
                "expression \"foo.bar\" uses unknown variable \"foo\" (expressions see inputs, vars, run, steps and secrets)");
        assertThat(Expressions.check("Hello ${inputs.who")).containsExactly(
                "expression \"${inputs.who\" is not closed with \"}\"");
        assertThat(Expressions.check("${vars.ok} then ${ }")).containsExactly("expression \"${ }\" is empty");
        assertThat(Expressions.check("${'unterminated}")).containsExactly(
                "expression \"${'unterminated}\" is not closed with \"}\"");
    }

    @Test
    void checkRefusesExpressionsTooLongOrTooDeep() {
        assertThat(Expressions.check("${" + "1 + ".repeat(1100) + "1}")).singleElement().asString()
                .endsWith("is too long (at most 4096 characters)");
        assertThat(Expressions.check("${" + "(".repeat(40) + "1" + ")".repeat(40) + "}")).singleElement().asString()
                .endsWith("is nested too deeply (at most 32 levels)");
    }

    @Test
    void jsonAndJavaValuesConvertBothWays() {
        JsonNode node = json("{\"s\": \"x\", \"i\": 1, \"l\": 10000000000, \"d\": 1.5, \"b\": true, \"n\": null, \"a\": [1, {\"k\": []}]}");
        Object java = Expressions.toJava(node);
        assertThat(java).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) java).get("a")).isInstanceOf(List.class);
        assertThat(((Map<?, ?>) java).get("l")).isEqualTo(10000000000L);
        assertThat(Expressions.toJson(java)).isEqualTo(node);
        assertThat(Expressions.toJava(null)).isNull();
        assertThat(Expressions.toJson(null).isNull()).isTrue();
        assertThatThrownBy(() -> Expressions.toJson(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Expressions.toJson(new Object())).isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertFailure(String expression, String message) {
        assertThatThrownBy(() -> Expressions.evaluate(expression, SCOPE))
                .isInstanceOf(ExpressionException.class)
                .hasMessage(message);
    }

    private static JsonNode render(String text) throws ExpressionException {
        return Expressions.render(text(text), SCOPE);
    }

    private static TextNode text(String text) {
        return TextNode.valueOf(text);
    }

    static JsonNode json(String text) {
        return Json.parseTrusted(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> scope(String json) {
        return (Map<String, Object>) Expressions.toJava(json(json));
    }
}
