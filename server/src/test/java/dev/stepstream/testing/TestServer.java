package dev.stepstream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.app.Config;
import dev.stepstream.app.Server;
import dev.stepstream.json.Json;
import dev.stepstream.time.Clock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A real server on a free port, with its own data directory, and a real HTTP client.
 * Closing it fails the test if any Vert.x event loop was blocked meanwhile.
 */
public final class TestServer implements AutoCloseable {
    static {
        System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    }

    public static final Set<String> TERMINAL = Set.of("success", "failed", "cancelled", "interrupted");

    private final Server server;
    private final Config config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int blockedBefore = BlockedThreadGuard.warnings().size();

    private TestServer(Config config, Clock clock) {
        this.config = config;
        this.server = Server.start(config, clock);
    }

    /** A server with scripts allowed, SQLite in {@code dataDir}. */
    public static TestServer start(Path dataDir) {
        return new TestServer(Config.forTests(dataDir), Clock.system());
    }

    public static TestServer start(Path dataDir, UnaryOperator<Config> customise) {
        return new TestServer(customise.apply(Config.forTests(dataDir)), Clock.system());
    }

    /** A server whose time-driven work reads {@code clock} (a {@link ManualClock}, moved by the test). */
    public static TestServer start(Path dataDir, Clock clock, UnaryOperator<Config> customise) {
        return new TestServer(customise.apply(Config.forTests(dataDir)), clock);
    }

    public Config config() {
        return config;
    }

    public String url() {
        return server.url();
    }

    public int port() {
        return server.port();
    }

    /** The server's routes, as {@code "GET /api/v2/workflows/{workflowId}"} ({@link Server#routes}). */
    public java.util.SortedSet<String> routes() {
        return server.routes();
    }

    /** The WebSocket address of {@code path} (which may carry a query) on this server. */
    public URI wsUrl(String path) {
        return URI.create(url().replaceFirst("^http", "ws") + path);
    }

    /** The run stream of {@code runId}, with {@code query} (without its {@code ?}) when not empty. */
    public URI streamUrl(String runId, String query) {
        return wsUrl("/api/v2/workflows/runs/" + runId + "/stream" + (query == null || query.isEmpty() ? "" : "?" + query));
    }

    /** A response: status, JSON body (JSON null when empty or not JSON), and the raw text. */
    public record Response(int status, JsonNode body, String text, HttpResponse<String> raw) {
        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response delete(String path) {
        return send(request(path).DELETE());
    }

    public Response putYaml(String path, String yaml) {
        return send(request(path).header("Content-Type", "application/yaml").PUT(HttpRequest.BodyPublishers.ofString(yaml)));
    }

    public Response putJson(String path, String json) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            JsonNode body;
            try {
                body = response.body().isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(response.body());
            } catch (IOException e) {
                body = Json.MAPPER.nullNode();
            }
            return new Response(response.statusCode(), body, response.body(), response);
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
    }

    /** Registers a workflow from YAML and checks it was accepted. */
    public void apply(String yaml) {
        JsonNode id = Yaml.read(yaml).path("id");
        Response response = putYaml("/api/v2/workflows/" + id.asText(), yaml);
        assertThat(response.status()).as(response.text()).isIn(200, 201);
    }

    /** Executes a workflow and returns the run id. */
    public String execute(String workflowId, String inputsJson) {
        Response response = post("/api/v2/workflows/" + workflowId + "/execute",
                inputsJson == null ? "" : "{\"inputs\": " + inputsJson + "}");
        assertThat(response.status()).as(response.text()).isEqualTo(202);
        return response.body().path("runId").asText();
    }

    public JsonNode run(String runId) {
        Response response = get("/api/v2/workflows/runs/" + runId);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.body();
    }

    /** Waits until the run reaches a terminal status, then returns its detail. */
    public JsonNode awaitEnd(String runId, Duration timeout) {
        return Await.until("run " + runId + " ends", timeout, () -> {
            JsonNode run = run(runId);
            return TERMINAL.contains(run.path("status").asText()) ? run : null;
        });
    }

    public JsonNode awaitEnd(String runId) {
        return awaitEnd(runId, Duration.ofSeconds(30));
    }

    /** The run's whole history from the events endpoint, following {@code next}. */
    public List<JsonNode> events(String runId) {
        List<JsonNode> events = new ArrayList<>();
        long after = 0;
        while (true) {
            Response page = get("/api/v2/workflows/runs/" + runId + "/events?after=" + after + "&limit=10000");
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            page.body().path("events").forEach(events::add);
            if (!moved(page, after)) {
                return events;
            }
            after = page.body().path("next").asLong();
        }
    }

    /**
     * The run's whole history from the events endpoint, each envelope exactly as the server
     * wrote it (the text of each object of the {@code events} array), following {@code next}.
     */
    public List<String> rawEvents(String runId) {
        List<String> events = new ArrayList<>();
        long after = 0;
        while (true) {
            Response page = get("/api/v2/workflows/runs/" + runId + "/events?after=" + after + "&limit=10000");
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            events.addAll(rawObjectsOf(page.text(), "events"));
            if (!moved(page, after)) {
                return events;
            }
            after = page.body().path("next").asLong();
        }
    }

    /**
     * Whether a page of history says there is more to read now: its {@code next} is null once the
     * run has ended and all was read, and {@code after} itself while the run goes on and nothing
     * more is stored yet.
     */
    private static boolean moved(Response page, long after) {
        JsonNode next = page.body().path("next");
        return !next.isNull() && next.asLong() != after;
    }

    /** The exact text of each object in the top-level array {@code field} of {@code json}. */
    public static List<String> rawObjectsOf(String json, String field) {
        List<String> objects = new ArrayList<>();
        try (JsonParser parser = Json.MAPPER.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new AssertionError("not a JSON object: " + json);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals(field) && value == JsonToken.START_ARRAY) {
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        int start = (int) parser.currentTokenLocation().getCharOffset();
                        parser.skipChildren();
                        int end = (int) parser.currentLocation().getCharOffset();
                        objects.add(json.substring(start, end));
                    }
                } else {
                    parser.skipChildren();
                }
            }
            return objects;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + e, e);
        }
    }

    /** Waits until the run's history holds a {@code run_complete}, then returns it as exact text. */
    public List<String> awaitRawHistory(String runId) {
        return Await.until("run " + runId + " has its run_complete stored", Duration.ofSeconds(60), () -> {
            List<String> events = rawEvents(runId);
            return !events.isEmpty() && typeOf(events.get(events.size() - 1)).equals("run_complete") ? events : null;
        });
    }

    /** Waits until the run's history holds a {@code run_complete}, then returns the history. */
    public List<JsonNode> awaitHistory(String runId) {
        return Await.until("run " + runId + " has its run_complete stored", Duration.ofSeconds(30), () -> {
            List<JsonNode> events = events(runId);
            return !events.isEmpty() && events.get(events.size() - 1).path("type").asText().equals("run_complete") ? events : null;
        });
    }

    /** The {@code type} of one envelope given as text. */
    public static String typeOf(String envelope) {
        try {
            return Json.MAPPER.readTree(envelope).path("type").asText();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + envelope);
        }
    }

    public static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("type").asText()).toList();
    }

    public static <T> List<T> payloads(List<JsonNode> events, String type, Function<JsonNode, T> field) {
        return events.stream().filter(e -> e.path("type").asText().equals(type)).map(e -> field.apply(e.path("payload"))).toList();
    }

    public static ObjectNode inputs() {
        return Json.object();
    }

    @Override
    public void close() {
        server.close();
        List<String> blocked = BlockedThreadGuard.warnings();
        assertThat(blocked.subList(Math.min(blockedBefore, blocked.size()), blocked.size()))
                .as("Vert.x event loops must never block").isEmpty();
    }
}
