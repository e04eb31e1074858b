package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an author sees of expressions, through the API: what registration refuses (422, at the
 * field's path), and how a run reports an expression that fails (the step fails, the server
 * does not).
 */
@Timeout(60)
class ExpressionAuthoringTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, config -> config.withAllowScripts(false));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Runs a registered workflow to its end and returns its detail. */
    private static JsonNode runToEnd(String yaml, String inputsJson) {
        server.apply(yaml);
        String id = yaml.lines().filter(line -> line.startsWith("id: ")).findFirst().orElseThrow().substring(4).strip();
        return server.awaitEnd(server.execute(id, inputsJson));
    }

    /** The 422's problems as "path: message" lines. */
    private static List<String> refusal(String id, String yaml) {
        TestServer.Response response = server.putYaml("/api/v2/workflows/" + id, yaml);
        assertThat(response.status()).as(response.text()).isEqualTo(422);
        List<String> problems = new ArrayList<>();
        response.body().path("error").path("details").forEach(p -> problems.add(p.path("path").asText() + ": " + p.path("message").asText()));
        return problems;
    }

    @Test
    void aStringThatGrowsPastOneMebibyteFailsItsStepNotTheServer() {
        StringBuilder yaml = new StringBuilder("""
                id: doubling
                steps:
                  - {id: seed, type: set, vars: {s: "0123456789abcdef"}}
                """);
        for (int i = 0; i < 6; i++) {
            yaml.append("  - {id: grow").append(i)
                    .append(", type: set, vars: {s: \"${vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s}\"}}\n");
        }
        JsonNode run = runToEnd(yaml.toString(), null);
        assertThat(run.path("status").asText()).isEqualTo("failed");
        JsonNode grow5 = run.path("steps").get(6);
        assertThat(grow5.path("stepId").asText()).isEqualTo("grow5");
        assertThat(grow5.path("status").asText()).isEqualTo("failed");
        assertThat(grow5.path("error").asText())
                .contains("expression \"vars.s+vars.s", "longer than 1048576 characters");
        assertThat(run.path("steps").get(5).path("status").asText()).as("524,288 characters are allowed").isEqualTo("success");

        JsonNode joined = runToEnd("""
                id: joining
                steps:
                  - {id: seed, type: set, vars: {s: "${'0123456789abcdef' + '0123456789abcdef'}"}}
                  - {id: grow, type: set, vars: {s: "${vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s}"}}
                  - {id: grow2, type: set, vars: {s: "${vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s}"}}
                  - {id: grow3, type: set, vars: {s: "${vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s}"}}
                  - {id: grow4, type: set, vars: {s: "${vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s+vars.s}"}}
                  - {id: grow5, type: set, vars: {s: "${vars.s+vars.s+vars.s+vars.s}"}}
                  - {id: join, type: log, message: "${vars.s}${vars.s}${vars.s}"}
                """, null);
        assertThat(joined.path("steps").get(5).path("status").asText()).isEqualTo("success");
        assertThat(joined.path("status").asText()).isEqualTo("failed");
        assertThat(joined.path("steps").get(6).path("error").asText())
                .as("the parts of a template are each short, their text is not")
                .contains("longer than 1048576 characters");
    }

    @Test
    void aStepNameKeepsItsDollarBraceAsText() {
        JsonNode run = runToEnd("""
                id: named
                name: "Deploy ${inputs.env}"
                description: "sets ${HOME}"
                steps:
                  - id: copy
                    name: "Copy to ${HOME} with ${secrets.NOT_A_SECRET}"
                    type: log
                    message: copied
                """, null);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        assertThat(run.path("steps").get(0).path("stepName").asText()).isEqualTo("Copy to ${HOME} with ${secrets.NOT_A_SECRET}");
        assertThat(server.get("/api/v2/workflows/named").body().path("name").asText()).isEqualTo("Deploy ${inputs.env}");
    }

    @Test
    void aFunctionCallIsRefusedWhenStoredNotWhenRun() {
        assertThat(refusal("calls", """
                id: calls
                steps:
                  - {id: a, type: log, message: "${foo(1)}"}
                  - {id: b, type: set, vars: {x: "n=${math:abs(1)}"}}
                  - {id: c, type: log, message: "${[1, 2].size()}"}
                  - {id: d, type: log, message: "${`x${foo(1)}`}"}
                """)).containsExactly(
                "steps[0].message: expression \"foo(1)\" is not allowed: foo(…) is a function call, and expressions call"
                        + " no functions (only size(…) and empty(…), which are operators)",
                "steps[1].vars.x: expression \"math:abs(1)\" is not allowed: math:abs(…) is a function call, and expressions call"
                        + " no functions (only size(…) and empty(…), which are operators)",
                "steps[2].message: expression \"[1, 2].size()\" is not allowed: method calls are not supported",
                "steps[3].message: expression \"`x${foo(1)}`\" is not allowed: foo(…) is a function call, and expressions call"
                        + " no functions (only size(…) and empty(…), which are operators)");

        JsonNode run = runToEnd("""
                id: operators
                steps:
                  - id: ok
                    type: set
                    vars: {n: "${size([1, 2, 3])}", e: "${empty('')}", starts: "${'abc' =^ 'ab'}", range: "${size(1..10)}"}
                """, null);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
        JsonNode variables = run.path("variables");
        assertThat(List.of(variables.path("n").asInt(), variables.path("e").asBoolean(), variables.path("starts").asBoolean(),
                variables.path("range").asInt())).containsExactly(3, true, true, 10);
    }

    /** A shell's ${HOME} in a script is the commonest slip: the refusal says how to leave it to the shell. */
    @Test
    void aShellsOwnParameterIsRefusedWithTheWayToWriteIt() {
        assertThat(refusal("shelly", """
                id: shelly
                steps:
                  - {id: a, type: log, message: "home is ${HOME}"}
                  - {id: b, type: log, message: "${NAME:-nobody}"}
                """)).containsExactly(
                "steps[0].message: expression \"HOME\" uses unknown variable \"HOME\" (expressions see inputs, vars, run, steps"
                        + " and secrets); to leave ${HOME} to a shell, write $${HOME}",
                "steps[1].message: expression \"NAME:-nobody\" does not parse: unexpected \":\" at column 5; to leave ${NAME:-nobody} to a"
                        + " shell, write $${NAME:-nobody}");
    }

    @Test
    void aStepIsReadOnlyByItsIdAndOnlyOnceItHasSurelyEnded() {
        assertThat(refusal("dynamic", """
                id: dynamic
                inputs:
                  s: {type: string, default: build}
                steps:
                  - {id: build, type: log, message: built}
                  - {id: wait, type: log, message: waited}
                  - {id: read, needs: [wait], type: log, message: "${steps[inputs.s].outputs.v}"}
                  - {id: all, needs: [wait], type: log, message: "${steps}"}
                  - {id: whole, needs: [wait], type: log, message: "${steps.build}", when: "size(steps) > 0"}
                """)).containsExactlyInAnyOrder(
                "steps[2].message: expression \"steps[inputs.s].outputs.v\" reads steps without naming one: write"
                        + " steps.<id>.status or steps.<id>.outputs.<name>, so that only steps that have surely ended are read",
                "steps[3].message: expression \"steps\" reads steps without naming one: write"
                        + " steps.<id>.status or steps.<id>.outputs.<name>, so that only steps that have surely ended are read",
                "steps[4].when: expression \"size(steps) > 0\" reads steps without naming one: write"
                        + " steps.<id>.status or steps.<id>.outputs.<name>, so that only steps that have surely ended are read",
                "steps[4].message: expression \"steps.build\" reads the outputs of step \"build\", which this step does not"
                        + " need (add it to needs)");

        JsonNode run = runToEnd("""
                id: named-steps
                steps:
                  - {id: first, type: log, message: one}
                  - {id: second, type: log, message: "${steps.first.status} ${steps['first'].outputs} ${steps.first}"}
                """, null);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("success");
    }

    @Test
    void aConcurrencyKeyMayReadOnlyDeclaredInputs() {
        assertThat(refusal("undeclared-key", """
                id: undeclared-key
                concurrency: {key: "deploy-${inputs.env}", limit: 1}
                steps:
                  - {id: a, type: log, message: hi}
                """)).containsExactly(
                "concurrency.key: expression \"inputs.env\" reads input \"env\", which is not declared (this workflow has no inputs)");
        assertThat(refusal("misspelt-key", """
                id: misspelt-key
                inputs:
                  env: {type: string, default: prod}
                concurrency: {key: "${inputs.evn}", limit: 1}
                steps:
                  - {id: a, type: log, message: hi}
                """)).containsExactly(
                "concurrency.key: expression \"inputs.evn\" reads input \"evn\", which is not declared (declared: env)");

        JsonNode run = runToEnd("""
                id: declared-key
                inputs:
                  env: {type: string, default: prod}
                concurrency: {key: "deploy-${inputs.env}", limit: 1}
                steps:
                  - {id: a, type: log, message: hi}
                """, null);
        assertThat(run.path("status").asText()).isEqualTo("success");
    }

    @Test
    void aScheduleInputWithDollarBraceIsRefusedRatherThanKeptAsText() {
        assertThat(refusal("scheduled", """
                id: scheduled
                inputs:
                  env: {type: string}
                  tags: {type: array}
                triggers:
                  - id: nightly
                    type: schedule
                    cron: "0 3 * * *"
                    inputs: {env: "${body.x}", tags: [prod, "v-${run.id}"]}
                steps:
                  - {id: a, type: log, message: "${inputs.env}"}
                """)).containsExactly(
                "triggers[0].inputs.env: a schedule's inputs are values, not templates: a schedule has nothing for ${…} to read"
                        + " (write the value itself)",
                "triggers[0].inputs.tags[1]: a schedule's inputs are values, not templates: a schedule has nothing for ${…} to"
                        + " read (write the value itself)");
        TestServer.Response accepted = server.putYaml("/api/v2/workflows/scheduled", """
                id: scheduled
                inputs:
                  env: {type: string}
                triggers:
                  - {id: nightly, type: schedule, cron: "0 3 * * *", inputs: {env: "prod $ 1"}}
                steps:
                  - {id: a, type: log, message: "${inputs.env}"}
                """);
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(201);
    }

    @Test
    void plusJoinsAMapOrAListAsTheJsonThatATemplateWrites() {
        server.apply("""
                id: joined
                inputs:
                  o: {type: object}
                  l: {type: array}
                steps:
                  - {id: template, type: log, message: "t=${inputs.o}"}
                  - {id: before, type: log, message: "${'x' + inputs.o}"}
                  - {id: after, type: log, message: "${inputs.o + 1}"}
                  - {id: list, type: log, message: "${inputs.l + '!'}"}
                  - {id: both, type: log, message: "${inputs.l + inputs.l}"}
                """);
        String runId = server.execute("joined", "{\"o\": {\"a\": [1, \"x\"], \"b\": null}, \"l\": [1, \"x\"]}");
        assertThat(server.awaitEnd(runId).path("status").asText()).isEqualTo("success");
        assertThat(TestServer.payloads(server.events(runId), "step_log", p -> p.path("message").asText())).containsExactly(
                "t={\"a\":[1,\"x\"],\"b\":null}",
                "x{\"a\":[1,\"x\"],\"b\":null}",
                "{\"a\":[1,\"x\"],\"b\":null}1",
                "[1,\"x\"]!",
                "[1,\"x\"][1,\"x\"]");
    }

    @Test
    void anExpressionThatFailsWhenTheStepRunsIsNamedWithItsField() {
        JsonNode run = runToEnd("""
                id: failing-fields
                steps:
                  - {id: call, type: http, url: "http://127.0.0.1:19601/${vars.nothing.x}", continueOnError: true}
                  - {id: set, type: set, vars: {ok: 1, s: {deep: ["${vars.nothing.y}"]}}, continueOnError: true}
                  - {id: gate, type: log, message: hi, when: "vars.nothing.z > 1", continueOnError: true}
                """, null);
        List<String> errors = new ArrayList<>();
        run.path("steps").forEach(step -> errors.add(step.path("error").asText()));
        assertThat(errors).containsExactly(
                "url: expression \"vars.nothing.x\" failed: cannot read a property of null (after \"nothing\")",
                "vars.s.deep[0]: expression \"vars.nothing.y\" failed: cannot read a property of null (after \"nothing\")",
                "when: expression \"vars.nothing.z > 1\" failed: cannot read a property of null (after \"nothing\")");
    }

    @Test
    void anArithmeticFailureIsToldInTheAuthorsWordsNotJexls() {
        JsonNode run = runToEnd("""
                id: arithmetic
                inputs:
                  o: {type: object, default: {a: 1}}
                steps:
                  - {id: compare, type: log, message: "${inputs.o > 1}", continueOnError: true}
                  - {id: big, type: log, message: "${99999999999999999999 * 99999999999999999999}", continueOnError: true}
                  - {id: negate, type: log, message: "${-[1, 2]}", continueOnError: true}
                """, null);
        List<String> errors = new ArrayList<>();
        run.path("steps").forEach(step -> errors.add(step.path("error").asText()));
        assertThat(errors).containsExactly(
                "message: expression \"inputs.o > 1\" failed: cannot compare these values with > (numbers compare with numbers,"
                        + " text with text; objects, lists and null with nothing)",
                "message: expression \"99999999999999999999 * 99999999999999999999\" failed: the result is too large (whole"
                        + " numbers are limited to about 34 digits)",
                "message: expression \"-[1, 2]\" failed: cannot negate this value (only a number can be)");
    }
}
