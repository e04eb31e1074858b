package dev.stepstream.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Expressions come from whoever may register a workflow: nothing they write may reach the host. */
class ExpressionSandboxTest {
    private static final Map<String, Object> SCOPE = ExpressionsTest.scope("""
            {"inputs": {"who": "world", "times": 3}, "vars": {"list": [1, 2]},
             "run": {"id": "r", "workflowId": "w"}, "steps": {}}
            """);

    /** Refused when the workflow is registered, so that it never gets to run. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "''.getClass()                                    | is not allowed: method calls are not supported",
        "inputs.getClass().forName('java.lang.Runtime')   | is not allowed: method calls are not supported",
        "inputs.who.toUpperCase()                         | is not allowed: method calls are not supported",
        "vars.list.size()                                 | is not allowed: method calls are not supported",
        "new('java.io.File','/')                          | is not allowed: creating objects is not supported",
        "new java.io.File('/')                            | is not allowed: creating objects is not supported",
        "x = 1                                            | is not allowed: assignments are not supported",
        "inputs.who = 'x'                                 | is not allowed: assignments are not supported",
        "inputs.times += 1                                | is not allowed: assignments are not supported",
        "inputs.times++                                   | is not allowed: assignments are not supported",
        "while(true){}                                    | does not parse: unexpected \"while\" at column 1",
        "for (x : [1]) {}                                 | does not parse: unexpected \"for\" at column 1",
        "var f = function(){}; f()                        | does not parse: unexpected \"var\" at column 1",
        "function(){ 1 }                                  | is not allowed: functions are not supported",
        "x -> x                                           | is not allowed: local variables and lambdas are not supported",
        "#pragma jexl.namespace.r java.lang.Runtime       | is not allowed: pragmas are not supported",
        "@silent inputs.who                               | does not parse: unexpected \"@silent\" at column 1",
        "1; 2                                             | does not parse: unexpected \";\" at column 2",
        "`${''.getClass()}`                               | is not allowed: method calls are not supported",
    })
    void checkRefusesWhatCouldReachTheHost(String expression, String why) {
        String expected = "expression \"" + expression.strip() + "\" " + why;
        assertThat(Expressions.check("${" + expression + "}")).containsExactly(expected);
        assertThatThrownBy(() -> Expressions.evaluate(expression, SCOPE))
                .isInstanceOf(ExpressionException.class).hasMessage(expected);
        assertThatThrownBy(() -> Expressions.render(TextNode.valueOf("${" + expression + "}"), SCOPE))
                .isInstanceOf(ExpressionException.class).hasMessage(expected);
    }

    /** These parse (check refuses the function calls among them); evaluation finds nothing to reach. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''.class               | undefined property \"class\"",
        "inputs.who.class       | undefined property \"class\"",
        "vars.list.class        | undefined property \"class\"",
        "inputs.who.bytes       | undefined property \"bytes\"",
        "vars.list.empty        | undefined property \"empty\"",
        "get('inputs')          | unknown function \"get\"",
        "has('inputs')          | unknown function \"has\"",
        "set('inputs', 1)       | unknown function \"set\"",
        "forName('java.lang.Runtime') | unknown function \"forName\"",
        "math:abs(1)            | no such function namespace math",
        "java.lang.Runtime      | undefined variable \"java\"",
        "System                 | undefined variable \"System\"",
    })
    void evaluationReachesNothingButTheScope(String expression, String why) {
        assertThatThrownBy(() -> Expressions.evaluate(expression, SCOPE))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("expression \"" + expression + "\" failed: " + why);
    }

    @ParameterizedTest
    @ValueSource(strings = {"inputs.class", "inputs['class']", "inputs.getClass", "vars['getClass']"})
    void aMapHasNoClassOnlyItsKeys(String expression) throws Exception {
        assertThat(Expressions.evaluate(expression, SCOPE)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"inputs.times instanceof 'java.lang.Integer'", "inputs instanceof 'java.lang.Runtime'",
        "inputs.who instanceof 'java.lang.String'"})
    void classesOtherThanMapsAndListsCannotBeLookedUpByName(String expression) throws Exception {
        assertThat(Expressions.evaluate(expression, SCOPE)).isEqualTo(false);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "${inputs.times * 2}                   | 6",
        "${'a' + inputs.who}                   | \"aworld\"",
        "${inputs.times > 2 && !false}         | true",
        "${steps.missing == null}              | true",
        "${run.workflowId}                     | \"w\"",
    })
    void legitimateExpressionsStillWork(String template, String json) throws Exception {
        assertThat(Expressions.check(template)).isEmpty();
        assertThat(Expressions.render(TextNode.valueOf(template), SCOPE)).isEqualTo(ExpressionsTest.json(json));
    }
}
