package dev.stepstream.api;

import dev.stepstream.events.RunFold;
import dev.stepstream.store.RunDetail;
import dev.stepstream.store.RunReplay;
import dev.stepstream.store.Store;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Reading runs beyond their detail (docs/api.md, "A run at an earlier seq" and "Comparing two
 * runs"): a run's state just after any event of its log, and two runs side by side. Read-only;
 * its handlers do their store work on {@link HttpApi}'s virtual threads.
 */
final class RunReadsApi {
    private final Store store;
    private final Blocking blocking;

    RunReadsApi(Store store, Blocking blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    /**
     * Adds the routes. Mounted before {@code /runs/:runId}, which would otherwise take
     * {@code compare} for a run id (Vert.x tries routes in the order they were added).
     */
    void mount(Router router) {
        router.get("/api/v2/workflows/runs/compare").handler(this::compare);
        router.get("/api/v2/workflows/runs/:runId/state").handler(this::state);
    }

    /** {@code ?at=SEQ}: the run detail as the log up to SEQ makes it, by the rule the store's projection follows. */
    private void state(RoutingContext ctx) {
        UUID runId = Params.runId(ctx);
        long at = Params.longParam(ctx, "at", 0, 1, Long.MAX_VALUE);
        if (at == 0) {
            throw ApiError.badParameter("at", "required: the seq of the event after which to show the run");
        }
        blocking.respond(ctx, () -> {
            RunDetail stored = find(runId);
            if (at > stored.lastSeq()) {
                throw ApiError.badParameter("at", "run " + runId + " has events up to seq " + stored.lastSeq() + ", got " + at);
            }
            RunFold.Run state;
            try {
                state = RunReplay.fold(store, runId, RunFold.Run.queued(stored.declaredSteps()), at);
            } catch (IllegalStateException e) {
                find(runId); // deleted meanwhile: 404; else the log is damaged, which is no fault of the request
                throw e;
            }
            return Reply.json(200, Views.runDetail(stored.asOf(state), store.retries(runId)));
        });
    }

    private void compare(RoutingContext ctx) {
        UUID a = Params.runIdQuery(ctx, "a");
        UUID b = Params.runIdQuery(ctx, "b");
        blocking.respondLarge(ctx, () -> Reply.json(200, RunComparison.compare(store, find(a), find(b))));
    }

    private RunDetail find(UUID runId) {
        return store.findRun(runId).orElseThrow(() -> new ApiError(404, "run_not_found", "no run " + runId + " exists"));
    }
}
