package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.LogLevel;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunStatus;
import dev.stepstream.events.StepStatus;
import dev.stepstream.execution.steps.StepActions;
import dev.stepstream.json.Json;
import dev.stepstream.secrets.Masker;
import dev.stepstream.store.RunParent;
import dev.stepstream.store.RunRetry;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.time.Durations;
import dev.stepstream.workflow.ExpressionException;
import dev.stepstream.workflow.Expressions;
import dev.stepstream.workflow.HttpTargets;
import dev.stepstream.workflow.Step;
import dev.stepstream.workflow.StepKind;
import dev.stepstream.workflow.Workflow;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one run, on its own virtual thread, and is the only producer of its events.
 *
 * <p>A workflow whose steps have no {@code needs} runs them in order, one at a time. A graph
 * ({@link Workflow#isGraph}) is scheduled by {@link #runGraph}: the run's thread starts each
 * step whose needs have ended on a thread of its own (at most {@code maxParallel} at once), and
 * learns of each end from a queue; it alone decides what starts or is skipped.
 *
 * <p>An approval step emits step_waiting and then waits for a decision without a thread of
 * its own: the run's thread takes decisions in from the store when told of one ({@link #nudge})
 * and at least every second, and fails the step at its timeout. When every step the run has
 * started waits so, the driver ends without a run_complete, {@link #parkedUntil parked}: the
 * executor gives the run up in the store, and whichever node claims it after a decision (or at
 * its first deadline) rebuilds it from its log and goes on.
 *
 * <p>The run's {@link Masker} replaces secrets' values in everything the run emits, before an
 * event is made (docs/security.md, "Masking"): from its first event, those of every secret
 * defined on the cluster as this node knows them at the moment ({@link SecretSource#defined});
 * and those a step reads ({@code ${secrets.NAME}}, read as it starts) from then on, even once
 * deleted. The run's own state keeps the real values its later steps may need.
 *
 * <p>Ownership: {@code lastSeq}, {@code variables}, {@code stepStatuses} and {@code outputs}
 * are guarded by {@code emitLock}, which is held while an event is numbered and appended, so
 * the run's events enter the log in seq order, gapless, however many steps (and a script's two
 * output readers) emit at once. Each step attempt runs on a thread of its own so that the
 * driver can stop it on timeout or cancel; the step's thread alone interrupts it. {@code stop}
 * is completed by another thread (cancel, shutdown) and only read here.
 */
final class RunDriver {
    /**
     * Why a run stops early: a cancel (it ends cancelled), the node shutting down (interrupted),
     * the run lost to another node (this node's lease lapsed): it then emits nothing more, as
     * the node that took it over ends it; or the node stopping hands a resumable run back: it
     * emits nothing more either, and the node that claims it goes on with it.
     */
    enum StopReason { CANCEL, SHUTDOWN, LOST, HAND_BACK }

    private static final Logger log = LoggerFactory.getLogger(RunDriver.class);
    /** How long a stopped step may take to end before the run moves on without it. */
    private static final Duration STEP_STOP_GRACE = Duration.ofSeconds(5);

    private final UUID runId;
    private final Workflow workflow;
    private final int workflowVersion;
    private final ObjectNode inputs;
    private final Object inputsJava;
    private final EventLog eventLog;
    private final Supplier<HttpClient> http;
    private final HttpTargets httpTargets;
    private final RunListener listener;
    private final NodeLease lease;
    private final RunParent parent;
    private final Children children;
    private final String nodeId;
    /** The run as its log left it, when this driver resumes it; null for a run it starts. */
    private final RunFold.Run resumed;
    private final Decisions decisions;
    /** The secrets' values, for the steps that read them; and what of them the run's events must not hold. */
    private final SecretSource secrets;
    private final Masker masker;
    /** The secrets each step reads, by step id: resolved as the step starts (by its own thread), read by its field renders. */
    private final Map<String, Map<String, Object>> stepSecrets = new ConcurrentHashMap<>();
    /** What the run retries, or null; and the steps whose results it takes over from that run. */
    private final RunRetry retryOf;
    /** What started the run, said in its run_start. */
    private final RunTrigger trigger;
    private final Map<String, RetryPlan.Reused> reuse;
    private final CompletableFuture<StopReason> stop = new CompletableFuture<>();
    /** The approval steps that wait for a decision: since when, and in which attempt. Steps' threads add, the run's thread removes. */
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** Where a nudge goes: the graph's queue of ends while it is scheduled, else nowhere (a sequence parks at once). */
    private volatile BlockingQueue<Object> wakes;
    /** Set by the run's thread when it parks the run; read by the same thread once {@link #run} returns. */
    private boolean parked;
    private Instant parkedUntil;

    /** How often the run's thread reads decisions while some step waits for one and others run. */
    private static final Duration DECISION_POLL = Duration.ofSeconds(1);
    private static final Object NUDGE = new Object();

    /** An approval step waiting since {@code sinceMillis}, in its attempt {@code attempt}. */
    private record Waiting(long sinceMillis, int attempt) {}

    /** The decisions taken on a run's waiting steps, by step id (JSON {approved, by, comment}). */
    @FunctionalInterface
    interface Decisions {
        Map<String, JsonNode> of(UUID runId);
    }

    /**
     * Gives a step of this run the child runs it may start (a {@code workflow} step's);
     * {@code takeUpSince}: the attempt restarts one that a resume cut off, which began then, and
     * takes up the child that attempt had started, ended or not; null for any other attempt.
     */
    @FunctionalInterface
    interface Children {
        ChildRuns of(UUID runId, String stepId, int depth, java.time.Instant takeUpSince);
    }

    private final ReentrantLock emitLock = new ReentrantLock();
    private long lastSeq;                                                   // guarded by emitLock
    private final Map<String, JsonNode> variables = new LinkedHashMap<>();  // guarded by emitLock
    private final Map<String, StepStatus> stepStatuses = new HashMap<>();   // guarded by emitLock
    private final Map<String, JsonNode> outputs = new HashMap<>();          // guarded by emitLock

    RunDriver(UUID runId, Workflow workflow, int workflowVersion, ObjectNode inputs, long lastSeq,
              EventLog eventLog, Supplier<HttpClient> http, HttpTargets httpTargets, RunListener listener,
              NodeLease lease, RunParent parent, Children children, String nodeId, RunFold.Run resumed,
              Decisions decisions, RunRetry retryOf, RunTrigger trigger, Map<String, RetryPlan.Reused> reuse, SecretSource secrets) {
        this.runId = runId;
        this.workflow = workflow;
        this.workflowVersion = workflowVersion;
        this.inputs = inputs;
        this.inputsJava = Expressions.toJava(inputs);
        this.lastSeq = lastSeq;
        this.eventLog = eventLog;
        this.http = http;
        this.httpTargets = httpTargets;
        this.listener = listener;
        this.lease = lease;
        this.parent = parent;
        this.children = children;
        this.nodeId = nodeId;
        this.resumed = resumed;
        this.decisions = decisions;
        this.secrets = secrets;
        this.masker = new Masker(secrets::defined);
        this.retryOf = retryOf;
        this.trigger = trigger;
        this.reuse = reuse;
        if (resumed != null) {
            variables.putAll(resumed.currentVariables());
            resumed.steps.values().forEach(step -> {
                if (step.status != StepStatus.PENDING) {
                    stepStatuses.put(step.stepId, step.status);
                }
                if (step.outputs != null) {
                    outputs.put(step.stepId, step.outputs);
                }
                if (step.status == StepStatus.WAITING) {
                    waiting.put(step.stepId, new Waiting(step.startedAt == null ? Json.now().toEpochMilli() : step.startedAt, step.attempt));
                }
            });
        }
    }

    UUID runId() {
        return runId;
    }

    /** Whether it was stopped to be handed back, for another node to resume. */
    boolean handingBack() {
        return stop.getNow(null) == StopReason.HAND_BACK;
    }

    /** Whether its workflow says onInterrupt: resume. */
    boolean resumes() {
        return workflow.resumes();
    }

    /** A decision was taken on one of its steps: the run's thread reads it now rather than at its next poll. */
    void nudge() {
        BlockingQueue<Object> queue = wakes;
        if (queue != null) {
            queue.offer(NUDGE); // full: ends are pending, and the thread reads decisions once it has them
        }
    }

    /** Whether it ended parked: every step it started waits for a decision, and it holds no thread. */
    boolean parked() {
        return parked;
    }

    /** When a parked run is to be taken up without a decision (its first deadline), or null for never. */
    Instant parkedUntil() {
        return parkedUntil;
    }

    /** Asks the run to stop: its current step is interrupted and no later step starts. */
    void stop(StopReason reason) {
        stop.complete(reason);
    }

    void run() {
        // A node paused or cut off past its lease between the claim and now must not start the
        // run: it waits to learn whether it still holds it (if not, the run is stopped as lost).
        awaitLease();
        long startedMillis = Json.now().toEpochMilli();
        if (resumed == null) {
            ObjectNode start = Json.object()
                    .put("workflowId", workflow.id())
                    .put("workflowVersion", workflowVersion)
                    .set("inputs", inputs);
            if (parent != null) {
                start.put("parentRunId", parent.runId().toString()).put("parentStepId", parent.stepId());
            }
            if (retryOf != null) {
                start.set("retryOf", Json.object().put("runId", retryOf.runId().toString()).put("from", retryOf.from()));
            }
            start.set("trigger", trigger.json());
            emit(EventType.RUN_START, start);
        } else if (resumed.status == RunStatus.WAITING) {
            // Taken up for a decision or a deadline: nothing was cut off, nothing restarts.
            startedMillis = resumed.startedAt == null ? startedMillis : resumed.startedAt;
        } else {
            if (resumed.startedAt != null) {
                startedMillis = resumed.startedAt;
            }
            ObjectNode payload = Json.object().put("node", nodeId);
            var restarted = payload.putArray("restartedSteps");
            resumed.steps.values().stream().filter(step -> step.status == StepStatus.RUNNING)
                    .forEach(step -> restarted.add(step.stepId));
            emit(EventType.RUN_RESUMED, payload);
        }
        Ending ending = workflow.isGraph() ? runGraph() : runInOrder();
        if (ending.status() == RunStatus.WAITING && !silenced()) {
            parked = true;
            parkedUntil = ending.until();
            log.debug("run {} waits for a decision, parked until {}", runId, parkedUntil == null ? "one comes" : parkedUntil);
            return;
        }
        if (silenced()) {
            if (stop.getNow(null) == StopReason.HAND_BACK) {
                log.info("run {} handed back: a node that claims it resumes it", runId);
            } else {
                log.warn("run {} stopped here: another node took it over, and ends it", runId);
            }
            return;
        }
        cancelWaiting();
        String error = switch (ending.status()) {
            case CANCELLED -> DriverlessEnd.CANCELLED;
            case INTERRUPTED -> DriverlessEnd.INTERRUPTED;
            default -> ending.error();
        };
        long duration = Math.max(0, Json.now().toEpochMilli() - startedMillis);
        emit(EventType.RUN_COMPLETE, EndPayloads.runComplete(ending.status(), duration, error));
    }

    /**
     * Ends cancelled, in their declared order, the approval steps that still wait as the run
     * ends: only a stop ends a run so (else it parks), and it cuts them off as it cuts off the
     * running ones, so that the run's log ends each step it started. On the run's thread, once
     * no step's thread is left to add to {@code waiting}.
     */
    private void cancelWaiting() {
        long now = Json.now().toEpochMilli();
        for (Step step : workflow.steps()) {
            Waiting since = waiting.remove(step.id());
            if (since != null) {
                complete(step, StepStatus.CANCELLED, since.attempt(), Math.max(0, now - since.sinceMillis()), null, null);
            }
        }
    }

    /**
     * How a run ends: its status, and for a failed one, which step failed and why; or
     * {@code waiting}: it is parked, to be taken up {@code until} (null: once a decision comes).
     */
    private record Ending(RunStatus status, String error, Instant until) {
        static final Ending SUCCESS = new Ending(RunStatus.SUCCESS, null);

        Ending(RunStatus status, String error) {
            this(status, error, null);
        }

        static Ending failed(Step step, String error) {
            return new Ending(RunStatus.FAILED, "step \"" + step.id() + "\" failed: " + error);
        }

        static Ending parked(Instant until) {
            return new Ending(RunStatus.WAITING, null, until);
        }
    }

    /** v2's list: one step after the other; the first failure (without continueOnError) ends the run. */
    private Ending runInOrder() {
        for (Step step : workflow.steps()) {
            RunFold.Step before = resumed == null ? null : resumed.steps.get(step.id());
            if (before != null && before.status.isTerminal()) {
                // Resumed: a step that had ended is never run again; the run goes on from it.
                if (before.status == StepStatus.CANCELLED) {
                    return new Ending(RunStatus.CANCELLED, null);
                }
                if (before.status == StepStatus.FAILED && !step.continueOnError()) {
                    return Ending.failed(step, before.error);
                }
                continue;
            }
            awaitLease();
            if (stop.isDone()) {
                return new Ending(stoppedStatus(), null);
            }
            if (reuse.containsKey(step.id())) {
                reuse(step, reuse.get(step.id()));
                continue; // a reused step ended success or skipped
            }
            StepOutcome outcome = waiting.containsKey(step.id()) ? StepOutcome.WAITING : runStep(step, firstAttempt(step));
            if (outcome.status() == StepStatus.WAITING) {
                // Nothing else runs: decided, timed out, or parked until one or the other.
                outcome = takeDecision(step, decisions.of(runId).get(step.id()));
                if (outcome == null) {
                    return Ending.parked(deadline(step.id()));
                }
            }
            if (outcome.status() == StepStatus.CANCELLED) {
                return new Ending(stoppedStatus(), null);
            }
            if (outcome.status() == StepStatus.FAILED && !step.continueOnError()) {
                return Ending.failed(step, outcome.error());
            }
        }
        return Ending.SUCCESS;
    }

    /** A step of a graph that ended, as its thread tells the run's thread. */
    private record Ended(int index, StepOutcome outcome) {}

    /**
     * A graph: a step starts when every step it needs has ended {@code success}, {@code skipped}
     * or {@code failed} with continueOnError, at most {@code maxParallel} at once, in definition
     * order among those ready. A step that failed (without continueOnError) or was cancelled
     * makes every step that needs it, directly or not, end {@code skipped}, with an error naming
     * the need; the others run on. The run ends when nothing more can start: {@code failed} if a
     * step failed without continueOnError (the first such names the run's error), else
     * {@code success}. A stop starts nothing more: the running steps end cancelled, the others
     * stay pending.
     *
     * <p>All the state here is the run thread's own; the steps' threads only put their ends in
     * {@code ends}, which has room for every step and the stop, so that no put ever waits.
     */
    private Ending runGraph() {
        Schedule schedule = new Schedule(workflow.steps());
        // Resumed: the steps that had ended are settled, and what they decided is decided again
        // (what needs them may start, or is skipped); those that were running start again.
        if (resumed != null) {
            for (int i = 0; i < schedule.steps.size(); i++) {
                RunFold.Step before = resumed.steps.get(schedule.steps.get(i).id());
                if (before != null && (before.status.isTerminal() || before.status == StepStatus.WAITING)) {
                    schedule.settled[i] = true;
                }
            }
            for (int i = 0; i < schedule.steps.size(); i++) {
                RunFold.Step before = resumed.steps.get(schedule.steps.get(i).id());
                if (before != null && before.status.isTerminal()) {
                    schedule.ended(i, before.status, before.error);
                }
            }
        }
        schedule.readyAtStart();
        // Room for every step's end, the stop, and one nudge (more are dropped: one is enough).
        BlockingQueue<Object> ends = new ArrayBlockingQueue<>(schedule.steps.size() + 2);
        Object stopped = new Object();
        stop.thenRun(() -> ends.add(stopped));
        wakes = ends;
        int running = 0;
        while (true) {
            while (!stop.isDone() && running < workflow.maxParallel() && !schedule.ready.isEmpty()) {
                awaitLease();
                if (stop.isDone()) {
                    break;
                }
                int index = schedule.ready.pollFirst();
                schedule.settled[index] = true;
                Step step = schedule.steps.get(index);
                if (reuse.containsKey(step.id())) {
                    StepOutcome reused = reuse(step, reuse.get(step.id()));
                    schedule.ended(index, reused.status(), reused.error());
                    continue;
                }
                running++;
                Thread.ofVirtual().name("run-" + runId + "-" + step.id()).start(() -> ends.add(new Ended(index, runStepSafely(step))));
            }
            if (!waiting.isEmpty() && !stop.isDone() && takeDecisions(schedule)) {
                continue; // what needs the decided steps may start now
            }
            if (running == 0) {
                if (!waiting.isEmpty() && !stop.isDone()) {
                    return Ending.parked(waiting.keySet().stream().map(this::deadline).filter(Objects::nonNull)
                            .min(Instant::compareTo).orElse(null));
                }
                break;
            }
            Object next = waiting.isEmpty() ? take(ends) : poll(ends, untilNextLook());
            if (next == null || next == stopped || next == NUDGE) {
                continue;
            }
            Ended ended = (Ended) next;
            running--;
            if (ended.outcome().status() == StepStatus.WAITING) {
                continue; // in waiting now: decided, timed out, or parked with the run
            }
            if (!stop.isDone()) { // once stopped, nothing more starts or is skipped: what did not run stays pending
                schedule.ended(ended.index(), ended.outcome().status(), ended.outcome().error());
            }
        }
        if (stop.isDone()) {
            return new Ending(stoppedStatus(), null);
        }
        return schedule.failure != null ? schedule.failure : Ending.SUCCESS;
    }

    /**
     * What of a graph may start: each step's dependents, how many of its needs have not ended,
     * whether it is settled (started, ended, or skipped for a need), the ready steps in
     * definition order, and the first failure. The run's thread's alone.
     */
    private final class Schedule {
        final List<Step> steps;
        final List<List<Integer>> dependents = new ArrayList<>();
        final int[] waitingOn;
        final boolean[] settled;
        final TreeSet<Integer> ready = new TreeSet<>();
        Ending failure;

        Schedule(List<Step> steps) {
            this.steps = steps;
            this.waitingOn = new int[steps.size()];
            this.settled = new boolean[steps.size()];
            Map<String, Integer> indexOf = new HashMap<>();
            for (int i = 0; i < steps.size(); i++) {
                indexOf.put(steps.get(i).id(), i);
                dependents.add(new ArrayList<>());
            }
            for (int i = 0; i < steps.size(); i++) {
                for (String need : steps.get(i).needs()) {
                    dependents.get(indexOf.get(need)).add(i);
                    waitingOn[i]++;
                }
            }
        }

        /** The steps that need nothing that has not ended are ready. */
        void readyAtStart() {
            for (int i = 0; i < steps.size(); i++) {
                if (waitingOn[i] == 0 && !settled[i]) {
                    ready.add(i);
                }
            }
        }

        /**
         * The step at {@code index} ended so: a failure (without continueOnError) or a cancel
         * skips what needs it, directly or not; any other end may make what needs it ready.
         */
        void ended(int index, StepStatus status, String error) {
            Step step = steps.get(index);
            boolean failed = status == StepStatus.FAILED && !step.continueOnError();
            if (failed && failure == null) {
                failure = Ending.failed(step, error);
            }
            if (failed || status == StepStatus.CANCELLED) {
                String why = "needs \"" + step.id() + "\", which " + (failed ? "failed" : "was cancelled");
                skipDependents(index, why);
                return;
            }
            for (int dependent : dependents.get(index)) {
                if (--waitingOn[dependent] == 0 && !settled[dependent]) {
                    ready.add(dependent);
                }
            }
        }

        /** Every step that needs the one at {@code index}, directly or not, ends skipped, in definition order. */
        private void skipDependents(int index, String why) {
            TreeSet<Integer> toSkip = new TreeSet<>();
            ArrayDeque<Integer> todo = new ArrayDeque<>(dependents.get(index));
            while (!todo.isEmpty()) {
                int dependent = todo.pop();
                if (!settled[dependent] && toSkip.add(dependent)) {
                    todo.addAll(dependents.get(dependent));
                }
            }
            for (int dependent : toSkip) {
                settled[dependent] = true;
                ready.remove(dependent);
                Step skipped = steps.get(dependent);
                String reason = skipped.needs().contains(steps.get(index).id()) ? why
                        : "a step it needs was skipped: " + why;
                complete(skipped, StepStatus.SKIPPED, 0, 0, reason, null);
            }
        }
    }

    /**
     * Takes in the decisions taken on waiting steps, and fails those past their timeout, each
     * as an end of the schedule. True if any step ended so.
     */
    private boolean takeDecisions(Schedule schedule) {
        Map<String, JsonNode> taken = decisions.of(runId);
        boolean any = false;
        for (int i = 0; i < schedule.steps.size(); i++) {
            Step step = schedule.steps.get(i);
            if (waiting.containsKey(step.id())) {
                StepOutcome outcome = takeDecision(step, taken.get(step.id()));
                if (outcome != null) {
                    schedule.ended(i, outcome.status(), outcome.error());
                    any = true;
                }
            }
        }
        return any;
    }

    /** How long the graph's thread may wait for an end before it looks at decisions and deadlines again. */
    private Duration untilNextLook() {
        long now = Json.now().toEpochMilli();
        long next = now + DECISION_POLL.toMillis();
        for (String stepId : waiting.keySet()) {
            Instant deadline = deadline(stepId);
            if (deadline != null) {
                next = Math.min(next, deadline.toEpochMilli());
            }
        }
        return Duration.ofMillis(Math.max(1, next - now));
    }

    private static Object poll(BlockingQueue<Object> queue, Duration timeout) {
        try {
            return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException("the run driver is never interrupted", e);
        }
    }

    private static Object take(BlockingQueue<Object> queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            throw new IllegalStateException("the run driver is never interrupted", e);
        }
    }

    /** {@link #runStep} on a step's own thread: an engine fault fails the step, not the run's scheduler. */
    private StepOutcome runStepSafely(Step step) {
        try {
            return runStep(step, firstAttempt(step));
        } catch (RuntimeException | Error e) {
            log.error("step {} of run {} failed inside the engine", step.id(), runId, e);
            return new StepOutcome(StepStatus.FAILED, "internal error: " + e, null);
        }
    }

    /**
     * Waits until this node surely holds its lease, so that a node paused or cut off past it
     * starts no step (a side effect no log would show) before it learns whether its runs were
     * taken over; a stop ends the wait.
     */
    private void awaitLease() {
        while (!lease.held() && !stop.isDone()) {
            try {
                lease.awaitHeld(Duration.ofMillis(100));
            } catch (InterruptedException e) {
                throw new IllegalStateException("the run driver is never interrupted", e);
            }
        }
    }

    /**
     * Waits until the step_start just emitted is stored (with everything appended before it),
     * or the run is stopped: a step that acts outside the run acts only once its start is in
     * the run's log. False when the run was stopped meanwhile (lost to another node, which the
     * store's refusal of that step_start tells, or cancelled): the step does not act.
     */
    private boolean stepStartStored() {
        try {
            while (!eventLog.awaitCommitted(Duration.ofMillis(200))) {
                if (stop.isDone()) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException("the run driver is never interrupted", e);
        }
        return !stop.isDone();
    }

    /**
     * Lost to another node, or handed back: whatever this node would still say of the run, the
     * store refuses (lost), or the node that resumes it says instead (handed back).
     */
    private boolean silenced() {
        StopReason reason = stop.getNow(null);
        return reason == StopReason.LOST || reason == StopReason.HAND_BACK;
    }

    /** 1, or for a step that was running when its run was resumed, the attempt after the one cut off. */
    private int firstAttempt(Step step) {
        RunFold.Step before = resumed == null ? null : resumed.steps.get(step.id());
        return before != null && before.status == StepStatus.RUNNING ? before.attempt + 1 : 1;
    }

    private RunStatus stoppedStatus() {
        return stop.getNow(StopReason.CANCEL) == StopReason.SHUTDOWN ? RunStatus.INTERRUPTED : RunStatus.CANCELLED;
    }

    private record StepOutcome(StepStatus status, String error, ObjectNode outputs) {
        /** An approval step that waits for a decision. */
        static final StepOutcome WAITING = new StepOutcome(StepStatus.WAITING, null, null);
    }

    /**
     * Runs the step's tries from {@code firstAttempt} (above 1 for a step restarted by a resume):
     * retry's attempts count tries in all, and a restarted step has at least one more.
     */
    private StepOutcome runStep(Step step, int firstAttempt) {
        try {
            readSecrets(step);
        } catch (StepFailedException e) {
            emitStepStart(step, firstAttempt);
            return complete(step, StepStatus.FAILED, firstAttempt, 0, e.getMessage(), null);
        }
        try {
            if (step.when() != null && !Expressions.test(step.when(), scope(step))) {
                return complete(step, StepStatus.SKIPPED, 0, 0, null, null);
            }
        } catch (ExpressionException e) {
            emitStepStart(step, 1);
            return complete(step, StepStatus.FAILED, 1, 0, e.getMessage(), null);
        }
        if (step.type() == StepKind.APPROVAL) {
            return startApproval(step, firstAttempt);
        }
        int attempts = step.retry().attempts();
        attempts = Math.max(attempts, firstAttempt);
        for (int attempt = firstAttempt; ; attempt++) {
            emitStepStart(step, attempt);
            long started = System.nanoTime();
            StepOutcome outcome = attempt(step, attempt);
            long duration = millisSince(started);
            if (outcome.status() != StepStatus.FAILED || attempt >= attempts) {
                return complete(step, outcome.status(), attempt, duration, outcome.error(), outcome.outputs());
            }
            Duration delay = step.retry().delay();
            emitLog(step.id(), LogLevel.WARN, "attempt " + attempt + " of " + attempts + " failed: " + outcome.error()
                    + "; retrying in " + Durations.format(delay));
            if (waitForStop(delay)) {
                return complete(step, StepStatus.CANCELLED, attempt, duration, null, null);
            }
        }
    }

    /**
     * An approval's start: step_start, then step_waiting with its message rendered (a message
     * that does not render fails the step). From here it waits, without a thread.
     */
    private StepOutcome startApproval(Step step, int attempt) {
        emitStepStart(step, attempt);
        long since = Json.now().toEpochMilli();
        String message;
        try {
            message = StepActions.text(Expressions.render(step.spec().get("message"), scope(step), "message"));
        } catch (ExpressionException e) {
            return complete(step, StepStatus.FAILED, attempt, 0, e.getMessage(), null);
        }
        emit(EventType.STEP_WAITING, Json.object().put("stepId", step.id()).put("message", message));
        waiting.put(step.id(), new Waiting(since, attempt)); // after its step_waiting: no end can come before it
        return StepOutcome.WAITING;
    }

    /** When a waiting step fails for want of a decision, or null when it waits for ever. */
    private Instant deadline(String stepId) {
        Waiting since = waiting.get(stepId);
        Duration timeout = workflow.steps().stream().filter(step -> step.id().equals(stepId)).findFirst()
                .map(Step::timeout).orElse(null);
        return since == null || timeout == null ? null : Instant.ofEpochMilli(since.sinceMillis()).plus(timeout);
    }

    /**
     * Ends a waiting approval step with its decision (approved: success; rejected: failed), or
     * failed past its timeout; null while it waits on. On the run's thread.
     */
    private StepOutcome takeDecision(Step step, JsonNode decision) {
        Waiting since = waiting.get(step.id());
        long now = Json.now().toEpochMilli();
        long duration = Math.max(0, now - since.sinceMillis());
        Instant deadline = deadline(step.id());
        StepOutcome outcome;
        if (decision != null) {
            boolean approved = decision.path("approved").asBoolean(false);
            String comment = decision.path("comment").isTextual() ? decision.path("comment").textValue() : null;
            String error = approved ? null : "rejected by " + decision.path("by").asText("?")
                    + (comment == null || comment.isEmpty() ? "" : ": " + comment);
            outcome = complete(step, approved ? StepStatus.SUCCESS : StepStatus.FAILED, since.attempt(), duration, error,
                    (ObjectNode) decision, decision, false);
        } else if (deadline != null && now >= deadline.toEpochMilli()) {
            outcome = complete(step, StepStatus.FAILED, since.attempt(), duration,
                    "no decision within " + Durations.format(step.timeout()), null);
        } else {
            return null;
        }
        waiting.remove(step.id());
        return outcome;
    }

    /**
     * A step whose result a retry takes over: the variables it set in the retried run, set
     * again (each a variable_change of this step, where the value changes), then its
     * step_complete as it was there, marked {@code reused}. On the run's thread.
     */
    private StepOutcome reuse(Step step, RetryPlan.Reused reused) {
        AttemptContext ctx = new AttemptContext(step, reused.attempt());
        reused.variables().forEach(variable -> ctx.setVariable(variable.getKey(), variable.getValue()));
        ctx.close();
        return complete(step, reused.status(), reused.attempt(), reused.durationMs(), reused.error(), reused.outputs(),
                reused.decision(), true);
    }

    /** Runs one attempt on its own thread, bounded by the step's timeout and by stop. */
    private StepOutcome attempt(Step step, int attempt) {
        if (step.type().actsOutside() && !stepStartStored()) {
            return new StepOutcome(StepStatus.CANCELLED, null, null);
        }
        AttemptContext ctx = new AttemptContext(step, attempt);
        StepAction action = StepActions.forKind(step.type());
        CompletableFuture<StepResult> result = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().name("run-" + runId + "-" + step.id() + "-" + attempt).start(() -> {
            try {
                result.complete(Objects.requireNonNull(action.run(ctx), "step result"));
            } catch (StepFailedException | ExpressionException e) {
                result.complete(StepResult.failed(e.getMessage()));
            } catch (InterruptedException e) {
                result.complete(StepResult.failed("interrupted"));
            } catch (Exception | Error e) {
                log.warn("step {} of run {} failed unexpectedly", step.id(), runId, e);
                result.complete(StepResult.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        });
        boolean timedOut = false;
        try {
            long timeoutMs = step.timeout() == null ? Long.MAX_VALUE : step.timeout().toMillis();
            CompletableFuture.anyOf(result, stop).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            timedOut = true;
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("the run driver is never interrupted and stop never fails", e);
        }
        try {
            if (result.isDone()) {
                StepResult done = result.join();
                return new StepOutcome(done.status(), done.status() == StepStatus.SUCCESS ? null : done.error(), done.outputs());
            }
            thread.interrupt();
            joinQuietly(thread);
            if (timedOut) {
                return new StepOutcome(StepStatus.FAILED, "timed out after " + Durations.format(step.timeout()), null);
            }
            return new StepOutcome(StepStatus.CANCELLED, null, null);
        } finally {
            ctx.close();
        }
    }

    private void joinQuietly(Thread thread) {
        try {
            if (!thread.join(STEP_STOP_GRACE)) {
                log.warn("step thread {} did not end within {} of being stopped", thread.getName(), STEP_STOP_GRACE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits {@code delay}; true if the run was stopped meanwhile. */
    private boolean waitForStop(Duration delay) {
        try {
            stop.get(delay.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("the run driver is never interrupted and stop never fails", e);
        }
    }

    private void emitStepStart(Step step, int attempt) {
        emitLock.lock();
        try {
            stepStatuses.put(step.id(), StepStatus.RUNNING);
            outputs.remove(step.id());
            emit(EventType.STEP_START, Json.object()
                    .put("stepId", step.id()).put("stepName", step.name()).put("attempt", attempt));
        } finally {
            emitLock.unlock();
        }
    }

    /**
     * Emits the step's step_complete: {@code error} when it failed or was skipped for a need,
     * {@code outputs} always, as API.md gives them ({@code {}} for none; each value cut at 16 KiB,
     * with {@code truncated}).
     * What expressions read of the step from now on is what this event says.
     */
    private StepOutcome complete(Step step, StepStatus status, int attempt, long durationMs, String error, ObjectNode stepOutputs) {
        return complete(step, status, attempt, durationMs, error, stepOutputs, null, false);
    }

    /**
     * As above, for an approval with the {@code decision} that ended it; {@code reused}: a
     * retry took the step's result over from the run it retries (it ran no attempt here).
     */
    private StepOutcome complete(Step step, StepStatus status, int attempt, long durationMs, String error, ObjectNode stepOutputs,
                                 JsonNode decision, boolean reused) {
        ObjectNode payload = EndPayloads.stepComplete(step.id(), step.name(), status, durationMs, attempt);
        if (decision != null) {
            payload.set("decision", decision);
        }
        if (reused) {
            payload.put("reused", true);
        }
        if (error != null && (status == StepStatus.FAILED || status == StepStatus.SKIPPED)) {
            payload.put("error", error);
        }
        ObjectNode emitted = stepOutputs == null || stepOutputs.isEmpty() ? null : stepOutputs.deepCopy();
        boolean truncated = emitted != null && Limits.cutOutputs(emitted);
        EndPayloads.putOutputs(payload, emitted);
        if (truncated) {
            payload.put("truncated", true);
        }
        emitLock.lock();
        try {
            stepStatuses.put(step.id(), status);
            if (emitted == null) {
                outputs.remove(step.id());
            } else {
                outputs.put(step.id(), emitted);
            }
            emit(EventType.STEP_COMPLETE, payload);
        } finally {
            emitLock.unlock();
        }
        if (!reused) {
            listener.stepCompleted(step.type(), status, durationMs);
        }
        return new StepOutcome(status, error, stepOutputs);
    }

    /** A script's every line comes here: the envelope is written without a payload tree. */
    private void emitLog(String stepId, LogLevel level, String raw) {
        Instant now = Json.now();
        String message = masker.mask(raw); // the whole line, before it is cut: no part of a value escapes
        String cut = Limits.cutOrNull(message);
        emitLock.lock();
        try {
            if (silenced()) {
                return;
            }
            lastSeq++;
            eventLog.append(RunEvent.stepLog(runId, lastSeq, now, stepId, level, cut == null ? message : cut, cut != null));
        } finally {
            emitLock.unlock();
        }
    }

    private void emit(EventType type, ObjectNode payload) {
        emit(type, payload, Json.now());
    }

    private void emit(EventType type, ObjectNode payload, Instant time) {
        emit(type, payload, time, null);
    }

    /**
     * {@code whole}: for a variable_change whose payload previews a value, that value whole (its
     * secrets masked already), which goes beside the event for the store to keep with it, so that
     * a resume or a retry rebuilds the variable as this run has it ({@link RunFold#variableValue}).
     */
    private void emit(EventType type, ObjectNode payload, Instant time, JsonNode whole) {
        masker.maskInPlace(payload);
        emitLock.lock();
        try {
            if (silenced()) {
                return;
            }
            lastSeq++;
            eventLog.append(whole == null ? RunEvent.create(runId, lastSeq, type, time, payload)
                    : RunEvent.variableChange(runId, lastSeq, time, payload, whole));
        } finally {
            emitLock.unlock();
        }
    }

    /**
     * The values of the secrets the step reads, from now on masked in every event of the run.
     * @throws StepFailedException naming a secret that does not exist
     */
    private void readSecrets(Step step) throws StepFailedException {
        Set<String> names = Expressions.secretNames(step.spec());
        if (names.isEmpty()) {
            return;
        }
        Map<String, Object> values = new HashMap<>();
        for (String name : names) {
            String value;
            try {
                value = secrets.value(name).orElseThrow(() -> new StepFailedException("no secret \"" + name + "\" exists"));
            } catch (IllegalStateException e) { // this node cannot open the secrets: the message names the setting
                throw new StepFailedException("secret \"" + name + "\": " + e.getMessage());
            }
            masker.add(value);
            values.put(name, value);
        }
        stepSecrets.put(step.id(), values);
    }

    /** What a step's expressions see: inputs, vars, run, steps.<id>.status and .outputs, and the secrets it reads. */
    private Map<String, Object> scope(Step step) {
        Map<String, Object> scope = new HashMap<>();
        scope.put("secrets", stepSecrets.getOrDefault(step.id(), Map.of()));
        scope.put("inputs", inputsJava);
        scope.put("run", Map.of("id", runId.toString(), "workflowId", workflow.id()));
        emitLock.lock();
        try {
            Map<String, Object> vars = new LinkedHashMap<>();
            variables.forEach((name, value) -> vars.put(name, Expressions.toJava(value)));
            scope.put("vars", vars);
            Map<String, Object> steps = new HashMap<>();
            stepStatuses.forEach((id, status) -> {
                Map<String, Object> seen = new HashMap<>();
                seen.put("status", status.wire());
                seen.put("outputs", outputs.containsKey(id) ? Expressions.toJava(outputs.get(id)) : Map.of());
                steps.put(id, seen);
            });
            scope.put("steps", steps);
        } finally {
            emitLock.unlock();
        }
        return scope;
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** The context of one attempt; closed when the attempt ends, after which it emits nothing. */
    private final class AttemptContext implements StepContext {
        private final Step step;
        private final int attempt;
        private boolean closed; // guarded by emitLock

        AttemptContext(Step step, int attempt) {
            this.step = step;
            this.attempt = attempt;
        }

        @Override
        public Step step() {
            return step;
        }

        @Override
        public JsonNode field(String name) throws ExpressionException {
            JsonNode raw = step.spec().get(name);
            return raw == null ? null : Expressions.render(raw, scope(step), name); // a failure names the field
        }

        @Override
        public void log(LogLevel level, String message) {
            emitLock.lock();
            try {
                if (!closed) {
                    emitLog(step.id(), level, message);
                }
            } finally {
                emitLock.unlock();
            }
        }

        @Override
        public void setVariable(String name, JsonNode value) {
            JsonNode newValue = value == null || value.isNull() ? null : value;
            emitLock.lock();
            try {
                if (closed) {
                    return;
                }
                JsonNode oldValue = variables.get(name);
                if (Objects.equals(oldValue, newValue)) {
                    return;
                }
                String changeType = oldValue == null ? "create" : newValue == null ? "delete" : "update";
                if (newValue == null) {
                    variables.remove(name);
                } else {
                    variables.put(name, newValue);
                }
                ObjectNode payload = Json.object().put("stepId", step.id()).put("varName", name);
                boolean oldCut = putValue(payload, "oldValue", oldValue) != null;
                JsonNode whole = putValue(payload, "newValue", newValue);
                payload.put("changeType", changeType);
                if (oldCut || whole != null) {
                    payload.put("truncated", true);
                }
                emit(EventType.VARIABLE_CHANGE, payload, Json.now(), whole);
            } finally {
                emitLock.unlock();
            }
        }

        /**
         * Puts the value, or a text preview of it when its JSON is over 16 KiB; returns, when
         * previewed, the whole value with every secret masked (the preview is cut from it, so
         * that no part of a secret is cut off from its mask), else null.
         */
        private JsonNode putValue(ObjectNode payload, String field, JsonNode value) {
            if (value == null) {
                payload.putNull(field);
                return null;
            }
            if (Limits.previewed(value)) {
                ArrayNode holder = JsonNodeFactory.instance.arrayNode().add(value.deepCopy()); // a top-level string is masked in its holder
                masker.maskInPlace(holder);
                JsonNode masked = holder.get(0);
                payload.put(field, Limits.preview(masked.toString()));
                return masked;
            }
            payload.set(field, value);
            return null;
        }

        @Override
        public HttpClient http() {
            return http.get();
        }

        @Override
        public HttpTargets httpTargets() {
            return httpTargets;
        }

        @Override
        public Duration timeout() {
            return step.timeout();
        }

        @Override
        public UUID runId() {
            return runId;
        }

        @Override
        public ChildRuns children() {
            RunFold.Step before = resumed == null ? null : resumed.steps.get(step.id());
            boolean restarted = before != null && before.status == StepStatus.RUNNING && attempt == before.attempt + 1
                    && before.startedAt != null;
            return children.of(runId, step.id(), parent == null ? 0 : parent.depth(),
                    restarted ? java.time.Instant.ofEpochMilli(before.startedAt) : null);
        }

        void close() {
            emitLock.lock();
            try {
                closed = true;
            } finally {
                emitLock.unlock();
            }
        }
    }
}
