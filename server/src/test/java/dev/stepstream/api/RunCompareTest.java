package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /runs/compare?a=&b=} (docs/api.md, "Comparing two runs"), and the {@code inputs} and
 * {@code workflowName} that run summaries and the run detail carry.
 */
@Timeout(60)
class RunCompareTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static String a;
    static String b;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply("""
                id: greet
                name: Greeter
                inputs:
                  who: {type: string, default: world}
                steps:
                  - {id: hello, type: log, message: "hello\\n${inputs.who}\\nbye"}
                  - {id: remember, type: set, vars: {who: "${inputs.who}", same: 1}}
                  - {id: only-in-a, type: log, message: first version}
                """);
        a = server.execute("greet", "{\"who\": \"ada\"}");
        server.awaitEnd(a);
        server.apply("""
                id: greet
                name: Greeter, second edition
                inputs:
                  who: {type: string, default: world}
                steps:
                  - {id: hello, type: log, message: "hello\\n${inputs.who}\\nbye"}
                  - {id: remember, type: set, vars: {who: "${inputs.who}", same: 1, extra: true}}
                  - {id: only-in-b, type: fail, message: second version}
                """);
        b = server.execute("greet", "{\"who\": \"bob\"}");
        server.awaitEnd(b);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void twoRunsSideBySideStepByStepWithTheirLogsDiffedAndTheVariablesThatDiffer() {
        TestServer.Response response = server.get("/api/v2/workflows/runs/compare?a=" + a + "&b=" + b);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode body = response.body();

        assertThat(body.path("a").path("runId").asText()).isEqualTo(a);
        assertThat(body.path("b").path("runId").asText()).isEqualTo(b);
        assertThat(body.path("a").path("status").asText()).isEqualTo("success");
        assertThat(body.path("b").path("status").asText()).isEqualTo("failed");
        assertThat(body.path("a").path("workflowName").asText()).isEqualTo("Greeter");
        assertThat(body.path("b").path("workflowName").asText()).isEqualTo("Greeter, second edition");
        assertThat(body.path("a").path("inputs").path("who").asText()).isEqualTo("ada");

        assertThat(body.path("steps").findValuesAsText("stepId")).containsExactly("hello", "remember", "only-in-a", "only-in-b");
        JsonNode hello = body.path("steps").get(0);
        assertThat(hello.path("a").path("status").asText()).isEqualTo("success");
        assertThat(hello.path("a").path("attempt").asInt()).isEqualTo(1);
        assertThat(hello.path("a").path("duration").isNumber()).isTrue();
        assertThat(hello.path("a").path("outputs").isObject()).isTrue();
        assertThat(hello.path("truncated").asBoolean()).isFalse();
        assertThat(lines(hello)).containsExactly(" hello", "-ada", "+bob", " bye");
        JsonNode onlyA = body.path("steps").get(2);
        assertThat(onlyA.path("b").isNull()).isTrue();
        assertThat(lines(onlyA)).containsExactly("-first version");
        JsonNode onlyB = body.path("steps").get(3);
        assertThat(onlyB.path("a").isNull()).isTrue();
        assertThat(onlyB.path("b").path("status").asText()).isEqualTo("failed");
        assertThat(lines(onlyB)).isEmpty();

        assertThat(body.path("variables")).hasSize(2);
        assertThat(body.path("variables").get(0).toString()).isEqualTo("{\"name\":\"extra\",\"a\":null,\"b\":true}");
        assertThat(body.path("variables").get(1).toString()).isEqualTo("{\"name\":\"who\",\"a\":\"ada\",\"b\":\"bob\"}");
    }

    @Test
    void aRunComparedWithItselfHasOnlyKeptLinesAndNoVariables() {
        JsonNode body = server.get("/api/v2/workflows/runs/compare?a=" + a + "&b=" + a).body();
        assertThat(lines(body.path("steps").get(0))).containsExactly(" hello", " ada", " bye");
        assertThat(body.path("variables")).isEmpty();
    }

    @Test
    void runsOfLongLinesAreComparedOverAtMostFourMiBOfTheirTextASide(@TempDir Path own) {
        try (TestServer scripts = TestServer.start(own, config -> config.withAllowScripts(true))) {
            scripts.apply("""
                    id: long-lines
                    steps:
                      - {id: print, type: script, run: "awk 'BEGIN { s = sprintf(\\"%16000d\\", 0); for (i = 0; i < 400; i++) print s }'"}
                    """); // 6.4 million characters a run
            String first = scripts.execute("long-lines", null);
            String second = scripts.execute("long-lines", null);
            scripts.awaitEnd(first);
            scripts.awaitEnd(second);

            TestServer.Response response = scripts.get("/api/v2/workflows/runs/compare?a=" + first + "&b=" + second);
            assertThat(response.status()).as(response.text()).isEqualTo(200);
            JsonNode print = response.body().path("steps").get(0);
            assertThat(print.path("truncated").asBoolean()).as("cut at the run's characters").isTrue();
            long characters = 0;
            for (JsonNode line : print.path("log")) {
                assertThat(line.path("op").asText()).isEqualTo(" ");
                characters += line.path("text").asText().length();
            }
            assertThat(characters).isBetween(4L << 20, (4L << 20) + 16_000);
        }
    }

    @Test
    void anIdThatIsNotAUuidIs400NamingItAndARunThatDoesNotExistIs404() {
        for (String[] bad : List.of(new String[] {"a=nope&b=" + b, "a"}, new String[] {"a=" + a + "&b=12", "b"},
                new String[] {"b=" + b, "a"}, new String[] {"a=" + a, "b"})) {
            TestServer.Response response = server.get("/api/v2/workflows/runs/compare?" + bad[0]);
            assertThat(response.status()).as(response.text()).isEqualTo(400);
            assertThat(response.body().path("error").path("code").asText()).isEqualTo("invalid_parameter");
            assertThat(response.body().path("error").path("details").path("parameter").asText()).isEqualTo(bad[1]);
        }
        String missing = UUID.randomUUID().toString();
        TestServer.Response response = server.get("/api/v2/workflows/runs/compare?a=" + a + "&b=" + missing);
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("run_not_found");
        assertThat(response.body().path("error").path("message").asText()).contains(missing);
    }

    @Test
    void summariesAndTheDetailCarryInputsAndTheNameOfTheWorkflowVersionTheRunUsed() {
        JsonNode runs = server.get("/api/v2/workflows/runs?workflowId=greet").body().path("runs");
        assertThat(runs).hasSize(2);
        assertThat(runs.get(0).path("runId").asText()).isEqualTo(b);
        assertThat(runs.get(0).path("workflowName").asText()).isEqualTo("Greeter, second edition");
        assertThat(runs.get(0).path("inputs").toString()).isEqualTo("{\"who\":\"bob\"}");
        assertThat(runs.get(1).path("workflowName").asText()).isEqualTo("Greeter");
        assertThat(server.run(a).path("workflowName").asText()).isEqualTo("Greeter");

        server.apply("""
                id: unnamed
                steps:
                  - {id: x, type: log, message: x}
                """);
        String unnamed = server.execute("unnamed", null);
        assertThat(server.run(unnamed).path("workflowName").asText()).as("a name defaults to the id").isEqualTo("unnamed");
        assertThat(server.get("/api/v2/workflows/runs?workflowId=unnamed").body().path("runs").get(0)
                .path("workflowName").asText()).isEqualTo("unnamed");
    }

    private static List<String> lines(JsonNode step) {
        List<String> lines = new ArrayList<>();
        step.path("log").forEach(line -> lines.add(line.path("op").asText() + line.path("text").asText()));
        return lines;
    }
}
