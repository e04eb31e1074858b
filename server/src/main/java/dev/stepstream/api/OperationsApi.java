package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.stepstream.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The routes for operators and integrators (docs/operations.md): {@code /healthz},
 * {@code /readyz} with what is down, {@code /metrics} in the Prometheus text format, and
 * {@code /api/v2/openapi.json}, the OpenAPI 3.1 description of the whole API. Readiness and
 * the scrape run off the event loop.
 */
public final class OperationsApi implements AutoCloseable {
    private static final String OPENAPI_RESOURCE = "openapi.yaml";

    private final Readiness readiness;
    private final Supplier<String> scrape;
    private final String scrapeContentType;
    private final byte[] openApi;
    private final Blocking blocking = new Blocking(64);

    public OperationsApi(Readiness readiness, Supplier<String> scrape, String scrapeContentType) {
        this.readiness = readiness;
        this.scrape = scrape;
        this.scrapeContentType = scrapeContentType;
        this.openApi = Json.bytes(openApiDocument());
    }

    /** The OpenAPI description, read from the classpath (written as YAML, served as JSON). */
    public static JsonNode openApiDocument() {
        try (InputStream in = OperationsApi.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI description is missing from the classpath (" + OPENAPI_RESOURCE + ")");
            }
            return new YAMLMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("the OpenAPI description does not parse", e);
        }
    }

    public void mount(Router router) {
        router.get("/healthz").handler(ctx -> Reply.json(200, Json.object().put("status", "ok")).send(ctx));
        router.get("/readyz").handler(this::ready);
        router.get("/metrics").handler(ctx -> blocking.respond(ctx,
                () -> Reply.bytes(200, scrapeContentType, scrape.get().getBytes(StandardCharsets.UTF_8))));
        router.get("/api/v2/openapi.json").handler(ctx -> Reply.rawJson(200, openApi).send(ctx));
    }

    private void ready(RoutingContext ctx) {
        blocking.respond(ctx, () -> {
            Map<String, String> states = readiness.check();
            ObjectNode parts = Json.object();
            StringBuilder down = new StringBuilder();
            states.forEach((name, state) -> {
                parts.put(name, state);
                if (!state.equals("up")) {
                    down.append(down.isEmpty() ? "" : "; ").append(name).append(" is ").append(state);
                }
            });
            if (!down.isEmpty()) {
                throw new ApiError(503, "not_ready", "not ready: " + down, parts);
            }
            ObjectNode body = Json.object().put("status", "ready");
            body.setAll(parts);
            return Reply.json(200, body);
        });
    }

    @Override
    public void close() {
        blocking.close();
    }
}
