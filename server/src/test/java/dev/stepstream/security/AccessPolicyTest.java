package dev.stepstream.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.testing.RawHttp;
import dev.stepstream.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Roles on every endpoint, from outside: each route of docs/api.md with no token, a bad token, and a
 * token of each role. Without a token: 401; with a bad one: 401 invalid_token; with a role
 * below the route's: 403; with the route's role or above: neither.
 */
@Timeout(60)
class AccessPolicyTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static String runId;
    static final Map<String, String> TOKENS = new LinkedHashMap<>();
    static final String HOOK_KEY = "the key of the signed webhook";

    /** One route: how to call it, and the role it needs (null: open to all). */
    record Route(String name, String method, String path, String body, Map<String, String> headers, boolean webSocket, Role needs) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() throws IOException {
        Path tokens = dir.resolve("tokens");
        for (Role role : Role.values()) {
            TOKENS.put(role.wire(), TokenFile.create(tokens, "the-" + role.wire(), role));
        }
        server = TestServer.start(dir, config -> config.withSecurity(config.security().withTokensFile(tokens)));
        String admin = TOKENS.get("admin");
        for (String id : List.of("roles", "roles-delete")) {
            TestServer.Response put = server.send(server.request("/api/v2/workflows/" + id)
                    .header("Authorization", "Bearer " + admin).header("Content-Type", "application/yaml")
                    .PUT(HttpRequest.BodyPublishers.ofString("id: " + id + "\nsteps:\n  - {id: a, type: log, message: hi}\n")));
            assertThat(put.status()).as(put.text()).isEqualTo(201);
        }
        TestServer.Response secret = server.send(server.request("/api/v2/secrets/ROLES_HOOK_KEY").header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"value\": \"" + HOOK_KEY + "\"}")));
        assertThat(secret.status()).as(secret.text()).isEqualTo(201);
        TestServer.Response hooks = server.send(server.request("/api/v2/workflows/roles-hooks")
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        id: roles-hooks
                        triggers:
                          - {id: signed, type: webhook, secret: "${secrets.ROLES_HOOK_KEY}"}
                          - {id: unsigned, type: webhook}
                        steps:
                          - {id: a, type: log, message: hi}
                        """)));
        assertThat(hooks.status()).as(hooks.text()).isEqualTo(201);
        TestServer.Response run = server.send(server.request("/api/v2/workflows/roles/execute")
                .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(run.status()).as(run.text()).isEqualTo(202);
        runId = run.body().path("runId").asText();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static List<Route> routes() {
        String run = "/api/v2/workflows/runs/" + runId;
        String yaml = "id: roles\nsteps:\n  - {id: a, type: log, message: again}\n";
        return List.of(
                new Route("GET /healthz", "GET", "/healthz", null, Map.of(), false, null),
                new Route("GET /readyz", "GET", "/readyz", null, Map.of(), false, null),
                new Route("GET / (the page)", "GET", "/", null, Map.of(), false, null),
                new Route("GET /app.mjs (the page)", "GET", "/app.mjs", null, Map.of(), false, null),
                new Route("GET /stepstream-client.mjs (the page's client library)", "GET", "/stepstream-client.mjs", null, Map.of(), false, null),
                new Route("GET /compare (the page)", "GET", "/compare", null, Map.of(), false, null),
                new Route("GET /api/v2/workflows", "GET", "/api/v2/workflows", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/{id}", "GET", "/api/v2/workflows/roles", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/{id}?version=N", "GET", "/api/v2/workflows/roles?version=1", null, Map.of(), false,
                        Role.VIEWER),
                new Route("GET /api/v2/workflows/{id}/versions", "GET", "/api/v2/workflows/roles/versions", null, Map.of(), false,
                        Role.VIEWER),
                new Route("PUT /api/v2/workflows/{id}", "PUT", "/api/v2/workflows/roles", yaml,
                        Map.of("Content-Type", "application/yaml"), false, Role.ADMIN),
                new Route("DELETE /api/v2/workflows/{id}", "DELETE", "/api/v2/workflows/roles-delete", null, Map.of(), false, Role.ADMIN),
                new Route("POST /api/v2/workflows/{id}/execute", "POST", "/api/v2/workflows/roles/execute", "{}",
                        Map.of("Content-Type", "application/json"), false, Role.OPERATOR),
                new Route("GET /api/v2/workflows/runs", "GET", "/api/v2/workflows/runs", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/runs/{runId}", "GET", run, null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/runs/{runId}/events", "GET", run + "/events", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/runs/{runId}/log", "GET", run + "/log", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/workflows/runs/{runId}/events (SSE)", "GET", run + "/events", null,
                        Map.of("Accept", "text/event-stream"), false, Role.VIEWER),
                new Route("POST /api/v2/workflows/runs/{runId}/cancel", "POST", run + "/cancel", null, Map.of(), false, Role.OPERATOR),
                new Route("POST /api/v2/workflows/runs/{runId}/retry", "POST", run + "/retry", "{\"from\": \"nope\"}",
                        Map.of("Content-Type", "application/json"), false, Role.OPERATOR),
                new Route("POST /api/v2/workflows/runs/{runId}/steps/{stepId}/approve", "POST", run + "/steps/a/approve", null,
                        Map.of(), false, Role.OPERATOR),
                new Route("POST /api/v2/workflows/runs/{runId}/steps/{stepId}/reject", "POST", run + "/steps/a/reject", null,
                        Map.of(), false, Role.OPERATOR),
                new Route("WebSocket /api/v2/workflows/runs/{runId}/stream", "GET", run + "/stream", null, Map.of(), true, Role.VIEWER),
                new Route("WebSocket /api/v2/stream", "GET", "/api/v2/stream", null, Map.of(), true, Role.VIEWER),
                new Route("GET /api/v2/secrets", "GET", "/api/v2/secrets", null, Map.of(), false, Role.ADMIN),
                new Route("PUT /api/v2/secrets/{name}", "PUT", "/api/v2/secrets/ROLES_TEST", "{\"value\": \"long enough\"}",
                        Map.of("Content-Type", "application/json"), false, Role.ADMIN),
                new Route("DELETE /api/v2/secrets/{name}", "DELETE", "/api/v2/secrets/NOT_THERE", null, Map.of(), false, Role.ADMIN),
                new Route("POST /api/v2/secrets/rotate-key", "POST", "/api/v2/secrets/rotate-key", null, Map.of(), false, Role.ADMIN),
                // A webhook with a secret needs no token, whatever token is sent: the signature is its credential.
                new Route("POST /api/v2/hooks/{workflowId}/{triggerId} (a secret, a signed body)", "POST",
                        "/api/v2/hooks/roles-hooks/signed", "{}", Map.of("X-Hub-Signature-256", signature("{}")), false, null),
                new Route("POST /api/v2/hooks/{workflowId}/{triggerId} (no secret)", "POST", "/api/v2/hooks/roles-hooks/unsigned", "{}",
                        Map.of("Content-Type", "application/json"), false, Role.OPERATOR),
                new Route("GET /metrics", "GET", "/metrics", null, Map.of(), false, Role.VIEWER),
                new Route("GET /api/v2/openapi.json", "GET", "/api/v2/openapi.json", null, Map.of(), false, Role.VIEWER),
                new Route("GET of an unknown route", "GET", "/api/v2/nothing-here", null, Map.of(), false, Role.VIEWER),
                new Route("POST of an unknown route", "POST", "/api/v2/nothing-here", "{}", Map.of(), false, Role.ADMIN),
                new Route("PUT with a trailing slash", "PUT", "/api/v2/workflows/roles/", yaml,
                        Map.of("Content-Type", "application/yaml"), false, Role.ADMIN));
    }

    static String signature(String body) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(HOOK_KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> routesAndCallers() {
        List<Arguments> cases = new ArrayList<>();
        for (Route route : routes()) {
            for (String caller : List.of("no token", "a bad token", "viewer", "operator", "admin")) {
                cases.add(Arguments.of(route, caller));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} by {1}")
    @MethodSource("routesAndCallers")
    void everyRouteAsksForItsRole(Route route, String caller) {
        String token = switch (caller) {
            case "no token" -> null;
            case "a bad token" -> "ss_not-a-token-of-this-server";
            default -> TOKENS.get(caller);
        };
        Answer answer = call(route, token);
        if (route.needs() == null) {
            assertThat(answer.status()).as(answer.body()).isNotIn(401, 403);
        } else if (token == null) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(401);
            assertThat(answer.body()).contains("\"code\":\"unauthenticated\"");
            assertThat(answer.wwwAuthenticate()).startsWith("Bearer");
        } else if (caller.equals("a bad token")) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(401);
            assertThat(answer.body()).contains("\"code\":\"invalid_token\"");
        } else if (!Role.fromWire(caller).includes(route.needs())) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(403);
            assertThat(answer.body()).contains("\"code\":\"forbidden\"").contains("it needs " + route.needs().wire());
        } else {
            assertThat(answer.status()).as(answer.body()).isNotIn(401, 403);
        }
    }

    @Test
    void aDecisionNamesTheTokenThatTookIt() {
        String admin = TOKENS.get("admin");
        TestServer.Response put = server.send(server.request("/api/v2/workflows/gated")
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString("id: gated\nsteps:\n  - {id: gate, type: approval, message: ready}\n")));
        assertThat(put.status()).as(put.text()).isIn(200, 201);
        String gated = server.send(server.request("/api/v2/workflows/gated/execute")
                .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody())).body().path("runId").asText();
        dev.stepstream.testing.Await.until("the run waits", java.time.Duration.ofSeconds(20), () -> server.send(
                server.request("/api/v2/workflows/runs/" + gated).header("Authorization", "Bearer " + admin).GET())
                .body().path("status").asText().equals("waiting") ? true : null);

        TestServer.Response approved = server.send(server.request("/api/v2/workflows/runs/" + gated + "/steps/gate/approve")
                .header("Authorization", "Bearer " + TOKENS.get("operator")).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(approved.status()).as(approved.text()).isEqualTo(202);
        String step = dev.stepstream.testing.Await.until("the decision is in the log", java.time.Duration.ofSeconds(20), () -> {
            TestServer.Response events = server.send(server.request("/api/v2/workflows/runs/" + gated + "/events")
                    .header("Authorization", "Bearer " + admin).GET());
            return events.text().contains("\"decision\"") ? events.text() : null;
        });
        assertThat(step).contains("\"by\":\"token:the-operator\"").doesNotContain(TOKENS.get("operator"));
    }

    @Test
    void anotherAuthorizationSchemeIs401NamingTheSchemeToUse() {
        TestServer.Response basic = server.send(server.request("/api/v2/workflows").header("Authorization", "Basic YTpi"));
        assertThat(basic.status()).isEqualTo(401);
        assertThat(basic.body().path("error").path("code").asText()).isEqualTo("invalid_token");
        assertThat(basic.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"stepstream\", error=\"invalid_token\"");
    }

    @Test
    void theTokensFileHoldsHashesNotTokens() throws IOException {
        String file = java.nio.file.Files.readString(dir.resolve("tokens"));
        TOKENS.values().forEach(token -> assertThat(file).doesNotContain(token));
        assertThat(file).contains("the-operator operator sha256:");
    }

    record Answer(int status, String body, String wwwAuthenticate) {}

    private static Answer call(Route route, String token) {
        Map<String, String> headers = new LinkedHashMap<>(route.headers());
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        if (route.webSocket()) {
            RawHttp.Answer answer = RawHttp.upgrade(server.port(), route.path(), headers);
            return new Answer(answer.status(), answer.body(), answer.header("WWW-Authenticate"));
        }
        HttpRequest.Builder request = server.request(route.path())
                .method(route.method(), route.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(route.body()));
        headers.forEach(request::header);
        TestServer.Response response = server.send(request);
        return new Answer(response.status(), response.text(), response.header("WWW-Authenticate"));
    }
}
