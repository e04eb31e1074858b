package dev.stepstream.execution;

import dev.stepstream.json.Json;
import dev.stepstream.store.Store;
import dev.stepstream.store.StoredWorkflow;
import dev.stepstream.time.Clock;
import dev.stepstream.time.StopSignal;
import dev.stepstream.workflow.InvalidException;
import dev.stepstream.workflow.TriggerSpec;
import dev.stepstream.workflow.Workflow;
import dev.stepstream.workflow.WorkflowValidator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the runs of schedule triggers (docs/workflows.md, "Schedules"), one virtual thread per
 * node. Every node runs one; the store makes them fire each due time once between them.
 *
 * <p>The rule, for each schedule trigger of each workflow: with T the latest due time at or
 * before now, T fires if and only if
 * <ul>
 *   <li>T is later than the last due time fired for (workflow, trigger) by any node (the
 *       store's compare-and-set, {@link Store#fireSchedule}: of the nodes that try, one wins);</li>
 *   <li>T is at or after the time this node's scheduler started: a due time that passed while
 *       no node ran is skipped, not caught up;</li>
 *   <li>T is at or after the update time of the workflow's current version: a trigger does not
 *       fire for times before it existed.</li>
 * </ul>
 * Only the latest due time is ever looked at, so a node that stalled (a pause, a database that
 * did not answer) fires at most one run per schedule when it comes back, never a backlog.
 *
 * <p>Discovery: a workflow applied on any node must fire on every node's schedule, so each tick
 * reads every workflow's id and version ({@link Store#workflowVersions}: one small query, no
 * definitions) and reads and validates only those that are new or changed. An idle node thus
 * costs the store one such query a second, and nothing else until a workflow changes or a due
 * time comes. The scheduler sleeps on the {@link Clock} until the earliest next due time, at
 * most {@link #TICK}, so that a new workflow is seen within about a second.
 *
 * <p>Ownership: {@code schedules}, {@code workflows} and {@code attempted} belong to the
 * scheduler's thread alone; {@code stop} wakes the thread to stop.
 */
public final class Scheduler implements AutoCloseable {
    /** The longest wait between two looks at the workflows. */
    static final Duration TICK = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private record Key(String workflowId, String triggerId) {}

    /** One schedule trigger of one workflow version, and when it is next to be looked at. */
    private static final class Schedule {
        final String workflowId;
        final int version;
        final Instant updatedAt;
        final Workflow workflow;
        final TriggerSpec trigger;
        /** Null until first looked at; then the first due time after the last look. */
        Instant next;

        Schedule(StoredWorkflow stored, Workflow workflow, TriggerSpec trigger) {
            this.workflowId = stored.id();
            this.version = stored.version();
            this.updatedAt = stored.updatedAt();
            this.workflow = workflow;
            this.trigger = trigger;
        }
    }

    private final Store store;
    private final WorkflowValidator validator;
    private final Executor executor;
    private final Clock clock;

    private final StopSignal stop;
    private Thread thread;
    private Instant startedAt;

    /** The version of each workflow as last read, whether it has schedules or not. */
    private final Map<String, Integer> workflows = new HashMap<>();
    /** The schedules of those versions, by workflow id. */
    private final Map<String, List<Schedule>> schedules = new HashMap<>();
    /** The last due time this node tried to fire, per (workflow, trigger): each is tried once here. */
    private final Map<Key, Instant> attempted = new HashMap<>();

    public Scheduler(Store store, WorkflowValidator validator, Executor executor, Clock clock) {
        this.store = store;
        this.validator = validator;
        this.executor = executor;
        this.clock = clock;
        this.stop = new StopSignal(clock);
    }

    /** Starts firing: due times from now on (never those before this call). Call after the executor's start. */
    public void start() {
        startedAt = clock.now();
        thread = Thread.ofVirtual().name("scheduler").start(this::loop);
    }

    private void loop() {
        while (true) {
            try {
                refresh();
            } catch (RuntimeException e) {
                log.warn("could not read the workflows' schedules (retrying in {}): {}", TICK, e.getMessage());
            }
            Instant now = clock.now();
            if (!fireDue(now) || !stop.awaitUntil(nextLook(now))) {
                return;
            }
        }
    }

    /** Reads what changed in the workflows since the last tick: new, replaced and deleted ones. */
    private void refresh() {
        Map<String, Integer> current = store.workflowVersions();
        workflows.keySet().retainAll(current.keySet());
        schedules.keySet().retainAll(current.keySet());
        attempted.keySet().removeIf(key -> !current.containsKey(key.workflowId()));
        current.forEach((id, version) -> {
            if (!version.equals(workflows.get(id))) {
                load(id);
            }
        });
    }

    private void load(String id) {
        Optional<StoredWorkflow> found = store.findWorkflow(id);
        if (found.isEmpty()) {
            workflows.remove(id);
            schedules.remove(id);
            return;
        }
        StoredWorkflow stored = found.get();
        workflows.put(id, stored.version());
        Workflow workflow;
        try {
            workflow = validator.validate(Json.parseTrusted(stored.definition()), id);
        } catch (InvalidException e) {
            // Stored under other rules (scripts allowed on another node): other nodes may fire it.
            schedules.remove(id);
            if (hasSchedules(stored)) {
                log.warn("workflow {} version {} is not valid on this node, whose scheduler does not fire its schedules"
                        + " (a node where it is valid would): {}", id, stored.version(), e.getMessage());
            }
            return;
        }
        List<Schedule> list = new ArrayList<>();
        for (TriggerSpec trigger : workflow.triggers()) {
            if (trigger.type() == TriggerSpec.Type.SCHEDULE) {
                list.add(new Schedule(stored, workflow, trigger));
            }
        }
        if (list.isEmpty()) {
            schedules.remove(id);
        } else {
            schedules.put(id, List.copyOf(list));
        }
    }

    private static boolean hasSchedules(StoredWorkflow stored) {
        for (var trigger : Json.parseTrusted(stored.definition()).path("triggers")) {
            if ("schedule".equals(trigger.path("type").asText())) {
                return true;
            }
        }
        return false;
    }

    /** What became of a look at a schedule's latest due time. */
    private enum Outcome { DONE, RETRY, STOPPING }

    /**
     * Fires every schedule whose latest due time the rule allows (see the class comment).
     * @return false once the node is stopping
     */
    private boolean fireDue(Instant now) {
        for (List<Schedule> list : schedules.values()) {
            for (Schedule schedule : list) {
                if (schedule.next != null && now.isBefore(schedule.next)) {
                    continue;
                }
                Outcome outcome = schedule.trigger.cron().latest(now).map(due -> fire(schedule, due)).orElse(Outcome.DONE);
                if (outcome == Outcome.STOPPING) {
                    return false;
                }
                if (outcome == Outcome.DONE) {
                    schedule.next = schedule.trigger.cron().next(now).orElse(Instant.MAX);
                } // else looked at again on the next tick, while it is still the latest due time
            }
        }
        return true;
    }

    /** Fires {@code due} if the rule allows. */
    private Outcome fire(Schedule schedule, Instant due) {
        Key key = new Key(schedule.workflowId, schedule.trigger.id());
        Instant tried = attempted.get(key);
        if (due.isBefore(startedAt) || due.isBefore(schedule.updatedAt) || (tried != null && !due.isAfter(tried))) {
            return Outcome.DONE;
        }
        if (stop.stopped()) {
            return Outcome.STOPPING;
        }
        try {
            executor.submitScheduled(schedule.workflow, schedule.version, schedule.trigger, due).ifPresent(runId ->
                    log.info("schedule {} of workflow {} queued run {} for {}", schedule.trigger.id(), schedule.workflowId,
                            runId, due));
            attempted.put(key, due);
            return Outcome.DONE;
        } catch (Executor.OverCapacityException e) {
            return Outcome.STOPPING; // nothing stored: another node may fire it
        } catch (RuntimeException e) {
            log.warn("schedule {} of workflow {} could not fire for {} (retrying): {}", schedule.trigger.id(),
                    schedule.workflowId, due, e.getMessage());
            return Outcome.RETRY; // nothing stored
        }
    }

    /** When to look again: the earliest next due time, or a tick from now if that is sooner. */
    private Instant nextLook(Instant now) {
        Instant look = now.plus(TICK);
        for (List<Schedule> list : schedules.values()) {
            for (Schedule schedule : list) {
                // A schedule to retry (next not after now) waits for the tick, not a busy loop.
                if (schedule.next != null && schedule.next.isAfter(now) && schedule.next.isBefore(look)) {
                    look = schedule.next;
                }
            }
        }
        return look;
    }

    /** Stops firing and waits for the scheduler's thread: once this returns, this node fires nothing more. */
    @Override
    public void close() {
        stop.stop();
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
