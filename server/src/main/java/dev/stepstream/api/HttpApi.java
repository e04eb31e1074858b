package dev.stepstream.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventFilter;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.Executor;
import dev.stepstream.execution.RunDeleter;
import dev.stepstream.json.Json;
import dev.stepstream.metrics.StoreMetrics;
import dev.stepstream.store.EventPage;
import dev.stepstream.store.PutOutcome;
import dev.stepstream.store.RunDeletion;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.RunPage;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.RunQuery;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.store.WorkflowVersion;
import dev.stepstream.time.Clock;
import dev.stepstream.workflow.Inputs;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowCatalog;
import dev.stepstream.workflow.WorkflowParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The REST routes of docs/api.md ("Workflows", "Runs"). Handlers hop to virtual threads for I/O. */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final int MAX_WORKFLOW_BYTES = Workflow.MAX_DEFINITION_BYTES;
    static final int MAX_INPUTS_BYTES = 256 * 1024;
    private static final int MAX_EVENTS_PAGE = 10_000;
    /**
     * Where a page of history stops, in bytes of envelopes, with the event that reaches it,
     * whatever its {@code limit}: 10,000 lines of 16 KiB would be 160 MB in memory, twice (the
     * events read, the body written). 10,000 typical envelopes are about 2.5 MB.
     */
    private static final int MAX_PAGE_BYTES = 4 << 20;
    /** A decision's comment, in characters. */
    private static final int MAX_COMMENT_CHARS = 4096;
    /** A decision's body: a comment of 4,096 characters, JSON-escaped, fits. */
    private static final int MAX_DECISION_BYTES = 64 * 1024;
    private static final long LINGER_MS = 2_000;

    private final WorkflowCatalog catalog;
    private final Executor executor;
    private final Store store;
    private final RunDeleter deleter;
    private final StoreMetrics storeMetrics;
    /** For schedules' next due times. */
    private final Clock clock;
    private final Blocking blocking = new Blocking(1024);
    private final LogDownload logs;

    public HttpApi(WorkflowCatalog catalog, Executor executor, Store store, RunDeleter deleter, StoreMetrics storeMetrics,
                   Clock clock) {
        this.catalog = catalog;
        this.executor = executor;
        this.store = store;
        this.deleter = deleter;
        this.storeMetrics = storeMetrics;
        this.clock = clock;
        this.logs = new LogDownload(store, blocking);
    }

    /** Adds the routes, and JSON answers for 404, 405, 413, 417 and 500, to {@code router}. */
    public void mount(Router router) {
        new RunReadsApi(store, blocking).mount(router); // before /runs/:runId: see RunReadsApi.mount
        router.get("/api/v2/workflows/runs").handler(this::listRuns);
        router.get("/api/v2/workflows/runs/:runId").handler(this::getRun);
        router.get("/api/v2/workflows/runs/:runId/events").handler(this::events);
        router.delete("/api/v2/workflows/runs/:runId").handler(this::deleteRun);
        router.get("/api/v2/workflows/runs/:runId/log").handler(logs::handle);
        router.post("/api/v2/workflows/runs/:runId/cancel").handler(this::cancel);
        router.post("/api/v2/workflows/runs/:runId/retry")
                .handler(RawBody.handler(MAX_DECISION_BYTES)).handler(this::retry);
        router.post("/api/v2/workflows/runs/:runId/steps/:stepId/approve")
                .handler(RawBody.handler(MAX_DECISION_BYTES)).handler(ctx -> decide(ctx, true));
        router.post("/api/v2/workflows/runs/:runId/steps/:stepId/reject")
                .handler(RawBody.handler(MAX_DECISION_BYTES)).handler(ctx -> decide(ctx, false));

        router.get("/api/v2/workflows").handler(this::listWorkflows);
        router.get("/api/v2/workflows/:workflowId").handler(this::getWorkflow);
        router.get("/api/v2/workflows/:workflowId/versions").handler(this::listVersions);
        router.put("/api/v2/workflows/:workflowId")
                .handler(RawBody.handler(MAX_WORKFLOW_BYTES))
                .handler(this::putWorkflow);
        router.delete("/api/v2/workflows/:workflowId").handler(this::deleteWorkflow);
        router.post("/api/v2/workflows/:workflowId/execute")
                .handler(RawBody.handler(MAX_INPUTS_BYTES))
                .handler(this::execute);

        router.errorHandler(400, ctx -> fail(ctx, new ApiError(400, "bad_request", "malformed request")));
        // A path that other methods answer is a 405 that says them, also for a GET that the web
        // page's GET /* took first and handed on (it serves no page under /api/).
        router.errorHandler(404, ctx -> {
            String allowed = AllowedMethods.on(router, ctx.normalizedPath(), false);
            if (allowed.isEmpty()) {
                fail(ctx, new ApiError(404, "not_found", "no route " + ctx.request().method() + " "
                        + Params.abbreviate(ctx.request().path())));
            } else {
                methodNotAllowed(ctx, allowed);
            }
        });
        router.errorHandler(405, ctx -> methodNotAllowed(ctx, AllowedMethods.on(router, ctx.normalizedPath(), true)));
        router.errorHandler(413, ctx -> {
            // On HTTP/1.x the connection ends after this answer (lingerAndClose). On HTTP/2 the
            // answer ends its stream, and the connection's others go on.
            boolean http1 = ConnectionClose.announce(ctx);
            fail(ctx, new ApiError(413, "body_too_large", "the request body is larger than " + RawBody.limitText(ctx)));
            if (http1) {
                lingerAndClose(ctx);
            }
        });
        router.errorHandler(417, ctx -> fail(ctx, new ApiError(417, "expectation_failed",
                "Expect: the one expectation is 100-continue, got " + Params.abbreviate(ctx.request().getHeader("Expect")))));
        router.errorHandler(500, ctx -> fail(ctx, Errors.toApiError(ctx.failure() == null
                ? new IllegalStateException("unknown failure") : ctx.failure())));
    }

    /**
     * After a refused body, the rest of it is still on its way, so the connection cannot carry
     * another request. Closing it at once, with that rest unread, makes the kernel reset the
     * connection, and a client still sending may never read the 413 (seen with the JDK's
     * client). So the rest is read and dropped, and the connection closed when it has all come,
     * or after {@value #LINGER_MS} ms at most (a lingering close, as nginx does).
     */
    private static void lingerAndClose(RoutingContext ctx) {
        io.vertx.core.http.HttpServerRequest request = ctx.request();
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = ctx.vertx().setTimer(LINGER_MS, ignored -> request.connection().close());
        request.handler(ignored -> { }).endHandler(ignored -> {
            ctx.vertx().cancelTimer(timer);
            request.connection().close();
        });
        request.resume();
    }

    private static void methodNotAllowed(RoutingContext ctx, String allowed) {
        ApiError error = new ApiError(405, "method_not_allowed", ctx.request().method() + " is not allowed on "
                + Params.abbreviate(ctx.request().path()) + (allowed.isEmpty() ? "" : "; it allows " + allowed));
        Reply.error(error).withHeader("Allow", allowed).send(ctx);
    }

    private static void fail(RoutingContext ctx, ApiError error) {
        Reply.error(error).send(ctx);
    }

    /** Runs {@code work} off the event loop; an {@link ApiError} thrown while reading parameters answers at once. */
    private void respond(RoutingContext ctx, java.util.concurrent.Callable<Reply> work) {
        blocking.respond(ctx, work);
    }

    private void listWorkflows(RoutingContext ctx) {
        respond(ctx, () -> {
            ObjectNode body = Json.object();
            ArrayNode list = body.putArray("workflows");
            catalog.list().forEach(workflow -> list.add(Views.workflowSummary(workflow)));
            return Reply.json(200, body);
        });
    }

    /** The current definition, or with {@code ?version=N} a kept one, a deleted workflow's too. */
    private void getWorkflow(RoutingContext ctx) {
        String id = Params.workflowId(ctx);
        int version = (int) Params.longParam(ctx, "version", 0, 1, Integer.MAX_VALUE);
        respond(ctx, () -> Reply.json(200, version == 0
                ? Views.workflowDefinition(storedWorkflow(id), clock.now())
                : workflowVersion(id, version)));
    }

    /** The current version is answered as the current definition is: only it has schedules to come. */
    private ObjectNode workflowVersion(String id, int version) {
        Optional<StoredWorkflow> current = store.findWorkflow(id).filter(workflow -> workflow.version() == version);
        if (current.isPresent()) {
            return Views.workflowDefinition(current.get(), clock.now());
        }
        return Views.workflowVersion(store.findWorkflowVersion(id, version).orElseThrow(() -> new ApiError(404,
                "version_not_found", "workflow \"" + Params.abbreviate(id) + "\" has no version " + version)));
    }

    private void listVersions(RoutingContext ctx) {
        String id = Params.workflowId(ctx);
        respond(ctx, () -> {
            List<WorkflowVersion> versions = store.listWorkflowVersions(id);
            if (versions.isEmpty()) {
                throw workflowNotFound(id);
            }
            ObjectNode body = Json.object();
            ArrayNode list = body.putArray("versions");
            versions.forEach(version -> list.addObject().put("version", version.version())
                    .put("updatedAt", Json.time(version.updatedAt())));
            return Reply.json(200, body);
        });
    }

    private StoredWorkflow storedWorkflow(String id) {
        return store.findWorkflow(id).orElseThrow(() -> workflowNotFound(id));
    }

    private static ApiError workflowNotFound(String id) {
        return new ApiError(404, "workflow_not_found", "no workflow \"" + Params.abbreviate(id) + "\" exists");
    }

    private void putWorkflow(RoutingContext ctx) {
        String id = Params.workflowId(ctx);
        byte[] body = RawBody.of(ctx).getBytes();
        String contentType = ctx.request().getHeader("Content-Type");
        boolean json = contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json");
        respond(ctx, () -> {
            PutOutcome outcome = catalog.put(id, body, json);
            return Reply.json(outcome.created() ? 201 : 200, Views.workflowDefinition(outcome.workflow(), clock.now()))
                    .withLocation("/api/v2/workflows/" + outcome.workflow().id());
        });
    }

    private void deleteWorkflow(RoutingContext ctx) {
        String id = Params.workflowId(ctx);
        respond(ctx, () -> {
            if (!catalog.delete(id)) {
                throw workflowNotFound(id);
            }
            return Reply.noContent();
        });
    }

    private void execute(RoutingContext ctx) {
        String id = Params.workflowId(ctx);
        Buffer raw = RawBody.of(ctx);
        respond(ctx, () -> {
            JsonNode given = executeBody(raw);
            WorkflowCatalog.Entry entry = catalog.find(id).orElseThrow(() -> workflowNotFound(id));
            UUID runId;
            try {
                ObjectNode inputs = Inputs.bind(entry.workflow().inputs(), given);
                runId = executor.submit(entry.workflow(), entry.stored().version(), inputs);
            } catch (InvalidException e) {
                throw Errors.invalid("invalid_inputs", e); // the inputs, or the concurrency key they make
            }
            ObjectNode body = Json.object().put("runId", runId.toString()).put("workflowId", id)
                    .put("status", "queued").put("streamUrl", "/api/v2/workflows/runs/" + runId + "/stream");
            return Reply.json(202, body).withLocation("/api/v2/workflows/runs/" + runId);
        });
    }

    /** The optional {@code {"inputs": {…}}} body: its inputs node, or null. */
    private static JsonNode executeBody(Buffer raw) {
        JsonNode body = optionalBody(raw, "inputs", "{\"inputs\": {…}}", "the execute body");
        return body == null ? null : body.get("inputs");
    }

    /**
     * An optional JSON object body with at most the one field {@code field}: null when there
     * is none; 400 for anything else, naming what is wrong ({@code example} shows the shape).
     */
    private static JsonNode optionalBody(Buffer raw, String field, String example, String what) {
        if (raw == null || raw.length() == 0 || raw.toString(StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(raw.getBytes());
        } catch (IOException e) {
            throw new ApiError(400, "invalid_json", "the body is not valid JSON: " + WorkflowParser.clean(e.getMessage()));
        }
        if (!body.isObject()) {
            throw new ApiError(400, "invalid_json", "the body must be a JSON object like " + example);
        }
        Json.TooLong tooLong = Json.numberTooLong(body, "");
        if (tooLong != null) {
            throw new ApiError(400, "invalid_json", tooLong.message());
        }
        // A field other than inputs is a malformed request, not a problem of the workflow: 400
        // naming the field (with every unknown field in details, as paths).
        List<String> unknown = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals(field)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            ArrayNode details = Json.MAPPER.createArrayNode();
            unknown.forEach(name -> details.addObject().put("path", name).put("message", "unknown field"));
            throw new ApiError(400, "invalid_request", Params.abbreviate(unknown.get(0)) + ": unknown field"
                    + (unknown.size() > 1 ? " (and " + (unknown.size() - 1) + " more)" : "")
                    + "; " + what + " has only \"" + field + "\"", details);
        }
        return body;
    }

    private void listRuns(RoutingContext ctx) {
        String workflowId = Params.workflowIdQuery(ctx);
        var status = Params.status(ctx);
        String trigger = Params.trigger(ctx);
        int limit = (int) Params.longParam(ctx, "limit", 50, 1, 500);
        String before = Params.single(ctx, "before");
        respond(ctx, () -> {
            RunPage page;
            try {
                page = store.listRuns(new RunQuery(workflowId, status, trigger, limit, before));
            } catch (IllegalArgumentException e) {
                throw ApiError.badParameter("before", e.getMessage());
            }
            ObjectNode body = Json.object();
            ArrayNode runs = body.putArray("runs");
            page.runs().forEach(run -> runs.add(Views.runSummary(run)));
            body.put("next", page.next());
            return Reply.json(200, body);
        });
    }

    private void getRun(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        respond(ctx, () -> Reply.json(200, Views.runDetail(run(runId), store.retries(runId))));
    }

    private RunDetail run(UUID runId) {
        return store.findRun(runId).orElseThrow(() -> runNotFound(runId));
    }

    private static ApiError runNotFound(UUID runId) {
        return new ApiError(404, "run_not_found", "no run " + runId + " exists");
    }

    /**
     * A page of a run's history, filtered by {@code types}, {@code steps}, {@code minLevel} and
     * searched by {@code q} when asked: {@code {"events": […], "next": seq | null}}, each
     * envelope's stored bytes copied in as they are. {@code next} is null only once the run has
     * ended and the page reaches its end; for a run going on, the seq to ask after (the same as
     * {@code after} when nothing came). A page may hold fewer than {@code limit} events and
     * still have a {@code next}: it stops at {@link #MAX_PAGE_BYTES}, and a filtered one (which
     * may then hold none) reads for a bounded time (store.EventSearch).
     */
    private void events(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        long after = Params.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
        int limit = (int) Params.longParam(ctx, "limit", 1000, 1, MAX_EVENTS_PAGE);
        EventFilter filter = Params.eventFilter(ctx);
        blocking.respondLarge(ctx, () -> {
            // Read before the page: a run that had ended then has all its events stored, so a page
            // that reaches the end of its log reaches the end of the run.
            Optional<RunPosition> before = store.findPosition(runId);
            boolean ended = before.map(position -> position.status().isTerminal()).orElse(false);
            if (before.isPresent()) {
                Params.checkAfter(runId, after, before.get().lastSeq()); // as the stream does
            }
            List<RunEvent> page;
            long next;
            long searchedTo; // how far the log was read: where a run that goes on is asked again
            if (filter.all()) {
                // One more than the limit, so that a page that reaches the log's end says so.
                EventPage read = store.eventsWithin(runId, after, limit + 1, MAX_PAGE_BYTES);
                List<RunEvent> events = read.events();
                page = events.size() > limit ? events.subList(0, limit) : events;
                next = read.more() ? page.getLast().seq() : -1;
                searchedTo = page.isEmpty() ? after : page.getLast().seq();
            } else {
                EventPage found = store.events(runId, after, limit, MAX_PAGE_BYTES, filter);
                page = found.events();
                next = found.next();
                searchedTo = found.searchedTo();
            }
            // Looked up after the read: a run deleted meanwhile is not found, rather than shown in
            // part (its events go after its row, a chunk at a time).
            if (store.findPosition(runId).isEmpty()) {
                throw runNotFound(runId);
            }
            if (next < 0 && !ended) {
                // Nothing more now, but the run goes on: API.md's next is null only when done, so a
                // client that pages on gets where to ask again: past what was searched (a filtered
                // page that found nothing in 30,000 events is not read again), the same seq when
                // nothing was there.
                next = Math.max(after, searchedTo);
            }
            // Written into one array of the exact size: a page may be 4 MiB, and a growing buffer
            // then copied held three times that at its peak.
            byte[] head = "{\"events\":[".getBytes(StandardCharsets.UTF_8);
            byte[] tail = ("],\"next\":" + (next < 0 ? "null" : Long.toString(next)) + "}").getBytes(StandardCharsets.UTF_8);
            int size = head.length + tail.length + Math.max(0, page.size() - 1);
            for (RunEvent event : page) {
                size += event.json().length;
            }
            byte[] body = new byte[size];
            System.arraycopy(head, 0, body, 0, head.length);
            int at = head.length;
            for (int i = 0; i < page.size(); i++) {
                if (i > 0) {
                    body[at++] = ',';
                }
                byte[] json = page.get(i).json();
                System.arraycopy(json, 0, body, at, json.length);
                at += json.length;
            }
            System.arraycopy(tail, 0, body, at, tail.length);
            return Reply.rawJson(200, body);
        });
    }

    /** A finished run and all it left: 204; 409 while it is queued, running or waiting. */
    private void deleteRun(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        String who = Who.of(ctx);
        respond(ctx, () -> switch (deleter.delete(runId)) {
            case RunDeletion.Deleted deleted -> {
                storeMetrics.deletedByRequest();
                log.info("run {} deleted by {}", runId, who);
                yield Reply.noContent();
            }
            case RunDeletion.NotFound notFound -> throw runNotFound(runId);
            case RunDeletion.NotFinished notFinished -> throw new ApiError(409, "run_not_finished", "run " + runId
                    + " is " + notFinished.status().wire() + "; only a finished run can be deleted (cancel it first)",
                    Json.object().put("status", notFinished.status().wire()));
        });
    }

    private void cancel(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        respond(ctx, () -> switch (executor.cancel(runId)) {
            case ACCEPTED -> Reply.json(202, Json.object().put("runId", runId.toString()).put("cancelRequested", true));
            case NOT_FOUND -> throw runNotFound(runId);
            case ALREADY_ENDED -> throw new ApiError(409, "run_finished", "run " + runId + " has already ended",
                    Json.object().put("status", store.findRun(runId).map(r -> r.status().wire()).orElse("unknown")));
        });
    }

    /** A new run of an ended run's workflow version and inputs, reusing what {@code from} says: {@code {"from": "failed"}} optional. */
    private void retry(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        Buffer raw = RawBody.of(ctx);
        respond(ctx, () -> {
            JsonNode body = optionalBody(raw, "from", "{\"from\": \"failed\"}", "a retry's body");
            JsonNode from = body == null || body.get("from") == null || body.get("from").isNull() ? null : body.get("from");
            if (from != null && !from.isTextual()) {
                throw new ApiError(400, "invalid_request", "from: expected failed, start or a step id, got "
                        + from.getNodeType().name().toLowerCase(Locale.ROOT));
            }
            UUID retryId;
            try {
                retryId = executor.retry(runId, from == null ? "failed" : from.textValue());
            } catch (Executor.RetryRefused e) {
                throw switch (e.reason()) {
                    case NOT_FOUND -> runNotFound(runId);
                    case NOT_FINISHED -> new ApiError(409, "run_not_finished", e.getMessage());
                    case BAD_FROM -> new ApiError(400, "invalid_request", e.getMessage());
                    case NOT_VALID -> Errors.invalid("invalid_workflow", e.getMessage(), e.problems());
                };
            }
            RunDetail retried = run(retryId);
            ObjectNode reply = Json.object().put("runId", retryId.toString()).put("workflowId", retried.workflowId())
                    .put("status", "queued").put("streamUrl", "/api/v2/workflows/runs/" + retryId + "/stream");
            reply.set("retryOf", Json.object().put("runId", runId.toString()).put("from", retried.retryOf().from()));
            return Reply.json(202, reply).withLocation("/api/v2/workflows/runs/" + retryId);
        });
    }

    /** Approve or reject a waiting approval step: {@code {"comment": "…"}} optional; by the request's principal. */
    private void decide(RoutingContext ctx, boolean approved) {
        UUID runId = Params.runId(ctx);
        String stepId = ctx.pathParam("stepId");
        Buffer raw = RawBody.of(ctx);
        String by = Who.principal(ctx);
        respond(ctx, () -> {
            JsonNode body = optionalBody(raw, "comment", "{\"comment\": \"…\"}", "a decision's body");
            JsonNode comment = body == null ? null : body.get("comment");
            // API.md gives decision as {"approved","by","comment"}: comment is null when none was given.
            ObjectNode decision = Json.object().put("approved", approved).put("by", by).putNull("comment");
            if (comment != null && !comment.isNull()) {
                if (!comment.isTextual()) {
                    throw new ApiError(400, "invalid_request", "comment: expected a string, got " + comment.getNodeType().name().toLowerCase(Locale.ROOT));
                }
                if (comment.textValue().length() > MAX_COMMENT_CHARS) {
                    throw new ApiError(400, "invalid_request", "comment: at most " + MAX_COMMENT_CHARS + " characters, got "
                            + comment.textValue().length());
                }
                decision.put("comment", comment.textValue());
            }
            return switch (executor.decide(runId, stepId, decision)) {
                case TAKEN -> Reply.json(202, Json.object().put("runId", runId.toString()).put("stepId", stepId)
                        .put("approved", approved));
                case NO_RUN -> throw runNotFound(runId);
                case NO_STEP -> throw new ApiError(404, "step_not_found", "run " + runId + " has no step \""
                        + Params.abbreviate(stepId) + "\"");
                case NOT_WAITING -> {
                    String status = store.findRun(runId).flatMap(run -> run.steps().stream()
                            .filter(step -> step.stepId().equals(stepId)).findFirst())
                            .map(step -> step.status().wire()).orElse("unknown");
                    throw new ApiError(409, "step_not_waiting", "step \"" + Params.abbreviate(stepId) + "\" of run " + runId
                            + " waits for no decision" + (status.equals("waiting") ? " (one was taken already)" : " (it is " + status + ")"),
                            Json.object().put("status", status));
                }
            };
        });
    }

    @Override
    public void close() {
        blocking.close();
    }
}
