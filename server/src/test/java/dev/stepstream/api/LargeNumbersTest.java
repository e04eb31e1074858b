package dev.stepstream.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.JsonTarget;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numbers short as written and long written out ({@code 1e400}: 401 characters), which every
 * number is once stored: refused where a user gives one, kept as text where another server
 * sends one, a failed step where an expression makes one. Stored, one made every run of the node
 * unreadable (the run list and the claim of queued runs included), across restarts.
 */
@Timeout(60)
class LargeNumbersTest {
    private static final String TOO_LONG_400 = "a number may have at most 100 characters written out in full (this one has 401)";

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
        server.apply("""
                id: numbers
                inputs:
                  n: {type: number}
                triggers:
                  - {id: push, type: webhook, inputs: {n: "${body.n}"}}
                steps:
                  - {id: square, type: set, vars: {sq: "${inputs.n * inputs.n}"}}
                """);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anInputTooLongWrittenOutIsRefusedNamingItAndTheServerGoesOn() {
        for (String n : new String[] {"1e400", "1e-400", "-1E+400"}) {
            TestServer.Response refused = server.post("/api/v2/workflows/numbers/execute", "{\"inputs\": {\"n\": " + n + "}}");
            assertThat(refused.status()).as(n).isEqualTo(400);
            assertThat(refused.body().path("error").path("code").asText()).isEqualTo("invalid_json");
            assertThat(refused.body().path("error").path("message").asText()).as(n).startsWith("inputs.n: a number may have at most 100");
        }
        TestServer.Response webhook = server.post("/api/v2/hooks/numbers/push", "{\"n\": 1e300}");
        assertThat(webhook.status()).isEqualTo(400);
        assertThat(webhook.body().path("error").path("message").asText())
                .isEqualTo("body.n: a number may have at most 100 characters written out in full (this one has 301)");

        // 1e99 is 100 characters written out: it is kept, and so is every run after it.
        JsonNode run = server.awaitEnd(server.execute("numbers", "{\"n\": 1e2}"));
        assertThat(run.path("variables").path("sq").asInt()).as(run.toString()).isEqualTo(10_000);
        assertThat(server.get("/api/v2/workflows/runs?limit=50").status()).isEqualTo(200);
    }

    @Test
    void anExpressionWhoseResultIsTooLongWrittenOutFailsItsStepNotTheServer() {
        // 5e-51 is 53 characters written out, its square 104.
        String runId = server.execute("numbers", "{\"n\": 5e-51}");
        JsonNode run = server.awaitEnd(runId);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("failed");
        assertThat(run.path("steps").get(0).path("error").asText()).contains("the result is too large: a number may have at most 100");
        assertThat(server.get("/api/v2/workflows/runs?limit=50").status()).isEqualTo(200);
        assertThat(server.awaitEnd(server.execute("numbers", "{\"n\": 3}")).path("variables").path("sq").asInt()).isEqualTo(9);
    }

    @Test
    void aWorkflowHoldingOneIsRefusedNamingItAndTheStoredVersionStays() {
        server.apply("id: kept\nsteps:\n  - {id: a, type: set, vars: {x: 1}}\n");
        TestServer.Response yaml = server.putYaml("/api/v2/workflows/kept", "id: kept\nsteps:\n  - {id: a, type: set, vars: {x: 1e400}}\n");
        assertThat(yaml.status()).isBetween(400, 499);
        assertThat(yaml.text()).contains(TOO_LONG_400);
        TestServer.Response hex = server.putYaml("/api/v2/workflows/kept",
                "id: kept\nsteps:\n  - {id: a, type: set, vars: {x: 0x" + "f".repeat(98) + "}}\n");
        assertThat(hex.status()).isBetween(400, 499);
        assertThat(hex.text()).contains("a number may have at most 100 characters written out in full");
        TestServer.Response json = server.putJson("/api/v2/workflows/kept",
                "{\"id\": \"kept\", \"steps\": [{\"id\": \"a\", \"type\": \"set\", \"vars\": {\"x\": 1e400}}]}");
        assertThat(json.status()).isBetween(400, 499);
        assertThat(json.text()).contains("steps[0].vars.x: " + TOO_LONG_400);

        TestServer.Response kept = server.get("/api/v2/workflows/kept");
        assertThat(kept.status()).isEqualTo(200);
        assertThat(kept.body().path("version").asInt()).isEqualTo(1);
        assertThat(server.awaitEnd(server.execute("kept", null)).path("status").asText()).isEqualTo("success");
    }

    @Test
    void anotherServersJsonHoldingOneIsKeptAsTextAndTheRunStaysReadable() {
        String runId;
        try (JsonTarget target = JsonTarget.serving("/huge", "{\"n\": 1e400}")) {
            server.apply("""
                    id: huge
                    steps:
                      - {id: call, type: http, url: "%s"}
                    """.formatted(target.url()));
            runId = server.execute("huge", null);
            server.awaitEnd(runId);
        }
        TestServer.Response run = server.get("/api/v2/workflows/runs/" + runId);
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        assertThat(run.body().path("status").asText()).isEqualTo("success");
        assertThat(run.body().path("steps").get(0).path("outputs").path("body").asText()).isEqualTo("{\"n\": 1e400}");
        assertThat(server.get("/api/v2/workflows/runs?limit=50").status()).isEqualTo(200);
    }
}
