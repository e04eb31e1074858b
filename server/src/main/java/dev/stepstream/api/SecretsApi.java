package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.json.Json;
import dev.stepstream.secrets.Vault;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.time.Instant;

/**
 * The secrets' routes of docs/api.md ("Secrets"), role admin: set, list, delete, and rotate
 * the data key. No answer ever holds a value. Handlers hop to virtual threads for the vault.
 */
public final class SecretsApi implements AutoCloseable {
    /** A value of 64 KiB, JSON-escaped at worst six bytes a byte, fits. */
    private static final int MAX_BODY_BYTES = 512 * 1024;

    private final Vault vault;
    private final Blocking blocking = new Blocking(256);

    public SecretsApi(Vault vault) {
        this.vault = vault;
    }

    public void mount(Router router) {
        router.get("/api/v2/secrets").handler(this::list);
        router.post("/api/v2/secrets/rotate-key").handler(this::rotate);
        router.put("/api/v2/secrets/:name").handler(RawBody.handler(MAX_BODY_BYTES)).handler(this::put);
        router.delete("/api/v2/secrets/:name").handler(this::delete);
    }

    private void list(RoutingContext ctx) {
        blocking.respond(ctx, () -> {
            ObjectNode body = Json.object();
            ArrayNode secrets = body.putArray("secrets");
            vault.list().forEach(secret -> secrets.add(listed(secret.name(), secret.updatedAt())));
            return Reply.json(200, body);
        });
    }

    private void put(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Buffer raw = RawBody.of(ctx);
        blocking.respond(ctx, () -> {
            String value = value(raw);
            Vault.Put put;
            try {
                put = vault.put(name, value);
            } catch (Vault.Locked e) {
                throw unavailable(e);
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "invalid_request", e.getMessage());
            }
            return Reply.json(put.created() ? 201 : 200, listed(name, put.updatedAt()));
        });
    }

    /** The body's {@code value}: a JSON object with that one string field. */
    private static String value(Buffer raw) {
        JsonNode body;
        try {
            body = raw == null || raw.length() == 0 ? null : Json.MAPPER.readTree(raw.getBytes());
        } catch (IOException e) {
            throw new ApiError(400, "invalid_json", "the body is not valid JSON (expected {\"value\": \"…\"})");
        }
        if (body == null || !body.isObject()) {
            throw new ApiError(400, "invalid_request", "the body must be a JSON object like {\"value\": \"…\"}");
        }
        var names = body.fieldNames();
        while (names.hasNext()) {
            String field = names.next();
            if (!field.equals("value")) {
                throw new ApiError(400, "invalid_request", Params.abbreviate(field) + ": unknown field; a secret's body has only \"value\"");
            }
        }
        JsonNode value = body.get("value");
        if (value == null || !value.isTextual()) {
            throw new ApiError(400, "invalid_request", "value: expected a string" + (value == null ? ", got none" : ""));
        }
        return value.textValue();
    }

    private void delete(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        blocking.respond(ctx, () -> {
            boolean deleted;
            try {
                deleted = vault.delete(name);
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "invalid_request", e.getMessage());
            }
            if (!deleted) {
                throw new ApiError(404, "secret_not_found", "no secret \"" + name + "\" exists");
            }
            return Reply.noContent();
        });
    }

    private void rotate(RoutingContext ctx) {
        blocking.respond(ctx, () -> {
            Vault.Rotation rotation;
            try {
                rotation = vault.rotate();
            } catch (Vault.Locked e) {
                throw unavailable(e);
            }
            return Reply.json(200, Json.object().put("keyId", rotation.keyId()).put("resealed", rotation.resealed())
                    .put("rewrapped", rotation.rewrapped()));
        });
    }

    /** This node cannot open the secrets: a setting of its to fix, which the message names. */
    private static ApiError unavailable(Vault.Locked e) {
        return new ApiError(503, "secrets_unavailable", e.getMessage());
    }

    private static ObjectNode listed(String name, Instant updatedAt) {
        return Json.object().put("name", name).put("updatedAt", Json.time(updatedAt));
    }

    @Override
    public void close() {
        blocking.close();
    }
}
