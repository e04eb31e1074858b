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

/** Every version of a workflow is kept and readable (docs/api.md, "Workflow versions"), deleted workflows' too. */
@Timeout(60)
class WorkflowVersionsTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String saying(String id, String message) {
        return "id: " + id + "\nsteps:\n  - {id: say, type: log, message: \"" + message + "\"}\n";
    }

    private static List<Integer> versions(String id) {
        TestServer.Response response = server.get("/api/v2/workflows/" + id + "/versions");
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        List<Integer> versions = new ArrayList<>();
        for (JsonNode version : response.body().path("versions")) {
            assertThat(version.path("updatedAt").isTextual()).as(version.toString()).isTrue();
            versions.add(version.path("version").asInt());
        }
        return versions;
    }

    @Test
    void threePutsKeepThreeVersionsNewestFirstEachReadableAsItWas() {
        server.apply(saying("wv-three", "one"));
        JsonNode first = server.get("/api/v2/workflows/wv-three").body();
        server.apply(saying("wv-three", "two"));
        server.apply(saying("wv-three", "two"));
        server.apply(saying("wv-three", "three"));

        assertThat(versions("wv-three")).containsExactly(3, 2, 1);
        TestServer.Response one = server.get("/api/v2/workflows/wv-three?version=1");
        assertThat(one.status()).as(one.text()).isEqualTo(200);
        assertThat(one.body()).isEqualTo(first);
        assertThat(server.get("/api/v2/workflows/wv-three?version=2").body().path("steps").get(0).path("message").asText())
                .isEqualTo("two");
        assertThat(server.get("/api/v2/workflows/wv-three?version=3").body())
                .isEqualTo(server.get("/api/v2/workflows/wv-three").body());
    }

    @Test
    void aDeletedWorkflowsVersionsStayReadableAndCreatingItAgainGoesOn() {
        server.apply(saying("wv-deleted", "one"));
        server.apply(saying("wv-deleted", "two"));
        assertThat(server.delete("/api/v2/workflows/wv-deleted").status()).isEqualTo(204);

        assertThat(server.get("/api/v2/workflows/wv-deleted").status()).isEqualTo(404);
        assertThat(versions("wv-deleted")).containsExactly(2, 1);
        JsonNode two = server.get("/api/v2/workflows/wv-deleted?version=2").body();
        assertThat(two.path("version").asInt()).isEqualTo(2);
        assertThat(two.path("steps").get(0).path("message").asText()).isEqualTo("two");

        TestServer.Response again = server.putYaml("/api/v2/workflows/wv-deleted", saying("wv-deleted", "one"));
        assertThat(again.status()).as("created again").isEqualTo(201);
        assertThat(again.body().path("version").asInt()).isEqualTo(3);
        assertThat(versions("wv-deleted")).containsExactly(3, 2, 1);
    }

    @Test
    void aRunOfAnOlderVersionNamesItAndItsDefinitionStaysReadable() {
        server.apply(saying("wv-run", "one"));
        String runId = server.execute("wv-run", null);
        server.awaitEnd(runId);
        server.apply(saying("wv-run", "two"));

        JsonNode run = server.run(runId);
        assertThat(run.path("workflowVersion").asInt()).isEqualTo(1);
        JsonNode version = server.get("/api/v2/workflows/wv-run?version=" + run.path("workflowVersion").asInt()).body();
        assertThat(version.path("steps").get(0).path("message").asText()).isEqualTo("one");
        assertThat(server.get("/api/v2/workflows/wv-run").body().path("version").asInt()).isEqualTo(2);
    }

    @Test
    void anUnknownVersionIsNotFoundAndABadOneIsRefused() {
        server.apply(saying("wv-errors", "one"));

        TestServer.Response unknown = server.get("/api/v2/workflows/wv-errors?version=7");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().path("error").path("code").asText()).isEqualTo("version_not_found");
        assertThat(unknown.body().path("error").path("message").asText()).contains("7");

        for (String bad : List.of("0", "-1", "x", "1.5", "99999999999")) {
            TestServer.Response refused = server.get("/api/v2/workflows/wv-errors?version=" + bad);
            assertThat(refused.status()).as(bad).isEqualTo(400);
            assertThat(refused.body().path("error").path("details").path("parameter").asText()).isEqualTo("version");
        }
        TestServer.Response never = server.get("/api/v2/workflows/wv-never/versions");
        assertThat(never.status()).isEqualTo(404);
        assertThat(never.body().path("error").path("code").asText()).isEqualTo("workflow_not_found");
        assertThat(server.get("/api/v2/workflows/wv-never?version=1").body().path("error").path("code").asText())
                .isEqualTo("version_not_found");
    }
}
