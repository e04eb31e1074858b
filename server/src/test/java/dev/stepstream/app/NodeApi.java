package dev.stepstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.Json;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The REST calls the cluster tests make of a node in a child process: workflows, runs, their events. */
final class NodeApi {
    private static final HttpClient http = HttpClient.newHttpClient();

    private NodeApi() {}

    static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    static JsonNode get(ChildServer node, String path) {
        return json(send(HttpRequest.newBuilder(URI.create(node.url() + path))));
    }

    /** Stores the workflow, whose YAML starts with its {@code id:} line. */
    static void put(ChildServer node, String yaml) {
        String id = yaml.lines().findFirst().orElseThrow().substring("id: ".length()).trim();
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v2/workflows/" + id))
                .header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
        assertThat(response.statusCode()).as(response.body()).isIn(200, 201);
    }

    /** Executes the workflow with these inputs (a JSON object, or null for none); the run's id. */
    static String execute(ChildServer node, String workflowId, String inputs) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(
                        URI.create(node.url() + "/api/v2/workflows/" + workflowId + "/execute"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(inputs == null ? "" : "{\"inputs\": " + inputs + "}")));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return json(response).path("runId").asText();
    }

    static void cancel(ChildServer node, String runId) {
        send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v2/workflows/runs/" + runId + "/cancel"))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** Approves ({@code approve}) or rejects ({@code reject}) a waiting step; the answer's status. */
    static int decide(ChildServer node, String runId, String stepId, String decision) {
        return send(HttpRequest.newBuilder(URI.create(node.url() + "/api/v2/workflows/runs/" + runId + "/steps/" + stepId + "/" + decision))
                .POST(HttpRequest.BodyPublishers.noBody())).statusCode();
    }

    static URI streamUrl(ChildServer node, String runId, long after) {
        return URI.create(node.url().replaceFirst("^http", "ws") + "/api/v2/workflows/runs/" + runId + "/stream?after=" + after);
    }

    static JsonNode awaitEnd(ChildServer node, String runId) {
        return Await.until("run " + runId + " ends", Duration.ofSeconds(60), () -> {
            JsonNode run = get(node, "/api/v2/workflows/runs/" + runId);
            return TestServer.TERMINAL.contains(run.path("status").asText()) ? run : null;
        });
    }

    static List<JsonNode> events(ChildServer node, String runId) {
        List<JsonNode> events = new ArrayList<>();
        get(node, "/api/v2/workflows/runs/" + runId + "/events?limit=10000").path("events").forEach(events::add);
        return events;
    }

    static List<JsonNode> awaitFirstLog(ChildServer node, String runId) {
        return Await.until("run " + runId + " logs", Duration.ofSeconds(30), () -> {
            List<JsonNode> events = events(node, runId);
            return events.stream().anyMatch(e -> e.path("type").asText().equals("step_log")) ? events : null;
        });
    }

    /** The run's whole history, each envelope exactly as the node sent it, once it holds its run_complete. */
    static List<String> awaitRawHistory(ChildServer node, String runId) {
        return Await.until("run " + runId + " has its run_complete stored", Duration.ofSeconds(60), () -> {
            HttpResponse<String> page = send(HttpRequest.newBuilder(
                    URI.create(node.url() + "/api/v2/workflows/runs/" + runId + "/events?limit=10000")));
            List<String> events = TestServer.rawObjectsOf(page.body(), "events");
            return !events.isEmpty() && TestServer.typeOf(events.getLast()).equals("run_complete") ? events : null;
        });
    }
}
