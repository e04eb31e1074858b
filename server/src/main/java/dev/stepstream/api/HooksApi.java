package dev.stepstream.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.stepstream.execution.Executor;
import dev.stepstream.json.Json;
import dev.stepstream.metrics.HookMetrics;
import dev.stepstream.secrets.Vault;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.workflow.ExpressionException;
import dev.stepstream.workflow.Expressions;
import dev.stepstream.workflow.Inputs;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Problem;
import dev.stepstream.workflow.TriggerSpec;
import dev.stepstream.workflow.WorkflowCatalog;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook route of docs/api.md ("Webhooks"): {@code POST /api/v2/hooks/{workflowId}/{triggerId}}
 * starts a run of the workflow, its inputs rendered from the trigger's templates over the
 * request's {@code body}, {@code headers} and {@code query}.
 *
 * <p>Who may: for a trigger with a {@code secret}, whoever signed the body with it
 * ({@link Signatures}), no credentials needed; for one without, role operator, as the security
 * guard decided before this route ran ({@link Who#OPERATOR_REFUSAL}). Nothing a refused delivery
 * sent starts a run, and nothing of its body or signature reaches the log: a refusal is one
 * warning with the ids and the reason, and is counted by outcome ({@link HookMetrics}).
 *
 * <p>Threads: what the request carries is read on its event loop ({@link Delivery#of}); the
 * store, the vault and the executor are called on a virtual thread ({@link Blocking}).
 */
public final class HooksApi implements AutoCloseable {
    static final int MAX_BODY_BYTES = 1024 * 1024;
    static final String ROUTE = "/api/v2/hooks/:workflowId/:triggerId";
    private static final Logger log = LoggerFactory.getLogger(HooksApi.class);
    /** Credentials are not for templates: an input is stored and shown as it is. */
    private static final Set<String> HIDDEN_HEADERS = Set.of("authorization", "proxy-authorization", "cookie");
    /** The refusals the access log marks as the security edge's (and counts by reason). */
    private static final Set<String> SECURITY_REFUSALS = Set.of("invalid_signature", "unauthenticated", "invalid_token", "forbidden");
    /** A body is JSON only if all of it is: {@code 12 apples} is text. */
    private static final ObjectReader STRICT_JSON = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final WorkflowCatalog catalog;
    private final Executor executor;
    private final Vault vault;
    private final HookMetrics metrics;
    private final Blocking blocking = new Blocking(256);

    public HooksApi(WorkflowCatalog catalog, Executor executor, Vault vault, HookMetrics metrics) {
        this.catalog = catalog;
        this.executor = executor;
        this.vault = vault;
        this.metrics = metrics;
    }

    public void mount(Router router) {
        // The body as it came (RawBody), never decoded as a form: its signature is over its bytes.
        router.post(ROUTE)
                .handler(ctx -> RawBody.read(ctx, MAX_BODY_BYTES, body -> {
                    Delivery delivery = Delivery.of(ctx, body);
                    blocking.respond(ctx, () -> answer(delivery));
                }))
                .failureHandler(this::failed);
    }

    /**
     * What a delivery brought, read on the event loop.
     *
     * @param signatures      each signature header sent, with every value it had
     * @param operatorRefusal what the guard would have answered had the route needed role operator, or null
     * @param badQuery        why the query string could not be read, or null
     */
    record Delivery(String workflowId, String triggerId, byte[] body, Map<String, String> headers, Map<String, Object> query,
                    Map<String, List<String>> signatures, ApiError operatorRefusal, ApiError badQuery) {
        static Delivery of(RoutingContext ctx, Buffer body) {
            MultiMap sent = ctx.request().headers();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String name : sent.names()) {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!HIDDEN_HEADERS.contains(lower)) {
                    headers.put(lower, String.join(", ", sent.getAll(name)));
                }
            }
            Map<String, List<String>> signatures = new HashMap<>();
            for (String header : Signatures.HEADERS) {
                signatures.put(header, sent.getAll(header));
            }
            Map<String, Object> query = new LinkedHashMap<>();
            ApiError badQuery = null;
            try {
                MultiMap params = ctx.queryParams();
                for (String name : params.names()) {
                    List<String> values = params.getAll(name);
                    query.put(name, values.size() == 1 ? values.get(0) : List.copyOf(values));
                }
            } catch (RuntimeException e) {
                badQuery = new ApiError(400, "invalid_parameter", "the query string is malformed");
            }
            return new Delivery(ctx.pathParam("workflowId"), ctx.pathParam("triggerId"), body.getBytes(),
                    headers, query, signatures, ctx.get(Who.OPERATOR_REFUSAL), badQuery);
        }

        /** {@code workflow/trigger}, safe to log whatever the path held. */
        String ids() {
            return (Params.abbreviate(workflowId) + "/" + Params.abbreviate(triggerId)).replaceAll("\\p{Cntrl}", "?");
        }
    }

    /** The answer to a delivery, counted by outcome; a refusal logged without the body or a signature. */
    private Reply answer(Delivery delivery) {
        String outcome = "other";
        try {
            Reply accepted = accept(delivery);
            outcome = "accepted";
            return accepted;
        } catch (RuntimeException failure) {
            ApiError error = Errors.toApiError(failure);
            outcome = error.code();
            log.warn("webhook {} refused: {} {}{}", delivery.ids(), error.status(), error.code(), because(error));
            Reply reply = Reply.error(error);
            if (SECURITY_REFUSALS.contains(error.code())) {
                reply = reply.refusedFor(error.code());
            }
            if (error.status() == 401 && !error.code().equals("invalid_signature")) {
                reply = reply.withHeader("WWW-Authenticate", ApiError.bearerChallenge(error.code().equals("invalid_token")));
            }
            return reply;
        } finally {
            metrics.delivered(outcome);
        }
    }

    private Reply accept(Delivery delivery) {
        WorkflowCatalog.Entry entry = catalog.find(delivery.workflowId()).orElseThrow(() -> notFound(delivery));
        TriggerSpec trigger = entry.workflow().trigger(delivery.triggerId())
                .filter(found -> found.type() == TriggerSpec.Type.WEBHOOK)
                .orElseThrow(() -> notFound(delivery));
        authorize(delivery, trigger);
        if (delivery.badQuery() != null) {
            throw delivery.badQuery();
        }
        UUID runId;
        try {
            ObjectNode inputs = Inputs.bind(entry.workflow().inputs(), given(trigger, delivery));
            runId = executor.submit(entry.workflow(), entry.stored().version(), inputs, RunTrigger.webhook(trigger.id()));
        } catch (InvalidException e) {
            throw Errors.invalid("invalid_inputs", e); // the inputs, or the concurrency key they make
        }
        log.info("webhook {} queued run {}", delivery.ids(), runId);
        ObjectNode body = Json.object().put("runId", runId.toString()).put("workflowId", entry.workflow().id())
                .put("status", "queued").put("streamUrl", "/api/v2/workflows/runs/" + runId + "/stream");
        return Reply.json(202, body).withLocation("/api/v2/workflows/runs/" + runId);
    }

    /** One answer for an unknown workflow, an unknown trigger and a trigger that is no webhook: the caller learns nothing more. */
    private static ApiError notFound(Delivery delivery) {
        return new ApiError(404, "hook_not_found", "no webhook " + Params.abbreviate(delivery.workflowId()) + "/"
                + Params.abbreviate(delivery.triggerId()) + " exists");
    }

    /** A signed body for a trigger with a secret; else the guard's verdict on role operator. */
    private void authorize(Delivery delivery, TriggerSpec trigger) {
        if (trigger.secret() == null) {
            if (delivery.operatorRefusal() != null) {
                throw delivery.operatorRefusal();
            }
            return;
        }
        List<byte[]> digests = Signatures.parse(delivery.signatures()); // before the vault: a bad header costs no read
        Signatures.verify(digests, key(delivery, trigger), delivery.body());
    }

    /**
     * The trigger's secret, its template rendered with the secrets it names. What is wrong goes to
     * the log, naming the secret; the caller, maybe anyone, learns only that it cannot be read.
     */
    private byte[] key(Delivery delivery, TriggerSpec trigger) {
        TextNode template = TextNode.valueOf(trigger.secret());
        Map<String, Object> secrets = new HashMap<>();
        for (String name : Expressions.secretNames(template)) {
            Optional<String> value;
            try {
                value = vault.value(name);
            } catch (Vault.Locked e) {
                throw unavailable(delivery, "secret " + name + " cannot be read on this node: " + e.getMessage());
            }
            if (value.isEmpty()) {
                throw unavailable(delivery, "no secret " + name + " exists (stepstream secrets set " + name + ")");
            }
            secrets.put(name, value.get());
        }
        JsonNode rendered;
        try {
            rendered = Expressions.render(template, Map.of("secrets", secrets));
        } catch (ExpressionException e) {
            throw unavailable(delivery, "its secret's template fails"); // the message might quote a value
        }
        String key = rendered.isTextual() ? rendered.textValue() : Json.text(rendered);
        if (key.isEmpty()) {
            throw unavailable(delivery, "its secret is empty");
        }
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static ApiError unavailable(Delivery delivery, String why) {
        log.warn("webhook {}: {}", delivery.ids(), why);
        return new ApiError(503, "secrets_unavailable", "this webhook's secret cannot be read on this node; the server's log says why");
    }

    /**
     * The trigger's inputs rendered over the delivery: each problem (an expression that fails) at
     * its {@code inputs.<name>}; {@link Inputs#bind} checks the values next.
     */
    private static ObjectNode given(TriggerSpec trigger, Delivery delivery) throws InvalidException {
        Map<String, Object> scope = new HashMap<>(); // body may be null (the JSON null)
        scope.put("body", body(delivery.body()));
        scope.put("headers", delivery.headers());
        scope.put("query", delivery.query());
        ObjectNode given = Json.object();
        List<Problem> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> input : trigger.inputs().properties()) {
            try {
                given.set(input.getKey(), Expressions.render(input.getValue(), scope));
            } catch (ExpressionException e) {
                problems.add(new Problem("inputs." + input.getKey(), e.getMessage()));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidException(problems);
        }
        return given;
    }

    /** The body as templates see it: its JSON value when all of it is JSON, else its text (UTF-8). */
    static Object body(byte[] body) {
        if (body.length > 0) {
            JsonNode json = null;
            try {
                json = STRICT_JSON.readTree(body);
            } catch (IOException notJson) {
                // text, below
            }
            if (json != null && !json.isMissingNode()) {
                Json.TooLong tooLong = Json.numberTooLong(json, "body");
                if (tooLong != null) {
                    throw new ApiError(400, "invalid_json", tooLong.message());
                }
                return Expressions.toJava(json);
            }
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * What the log says of a refusal besides its code: why a signature was refused, which
     * inputs were wrong. Never a message that may quote the body (an expression's failure, a
     * number's path in it) or a signature.
     */
    private static String because(ApiError error) {
        if (error.code().equals("invalid_signature")) {
            return ": " + error.getMessage();
        }
        if (error.code().equals("invalid_inputs") && error.details() != null) {
            List<String> paths = new ArrayList<>();
            error.details().forEach(problem -> paths.add(problem.path("path").asText()));
            return ": " + String.join(", ", paths);
        }
        return "";
    }

    /** A body over {@value #MAX_BODY_BYTES} bytes, refused before this route read it: counted and logged like any refusal. */
    private void failed(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            metrics.delivered("body_too_large");
            log.warn("webhook {} refused: 413 body_too_large", (Params.abbreviate(ctx.pathParam("workflowId")) + "/"
                    + Params.abbreviate(ctx.pathParam("triggerId"))).replaceAll("\\p{Cntrl}", "?"));
        }
        ctx.next(); // the router's JSON answer (HttpApi)
    }

    @Override
    public void close() {
        blocking.close();
    }
}
