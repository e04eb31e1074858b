package dev.stepstream.stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.broker.Interest;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunPosition;
import dev.stepstream.store.RunTrigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Routes committed events to the connections that follow them: per run, a {@link Topic} that
 * exists while the run has subscribers; for dashboards, the {@link RunFeed}. It hears of events
 * only after they are committed (it is an {@link EventLog.Listener}), so nothing reaches a
 * client that is not stored (DESIGN.md invariant 3).
 *
 * <p>Threads: {@link #committed} runs on the committer thread and never blocks: it puts events
 * in rings and wakes subscribers, which write on their own event loops. {@link #queued} runs on
 * the thread that queued the run. Topics are created and dropped under the map's per-key
 * atomicity ({@code compute}), so a subscriber never joins a topic that is being dropped.
 */
public final class Hub implements EventLog.Listener, RunListener {
    private final Map<UUID, Topic> topics = new ConcurrentHashMap<>();
    /** The slots every topic's ring may hold in all (a quarter of the heap, in typical envelopes). */
    private final RingBudget ringBudget = RingBudget.forHeap(Runtime.getRuntime().maxMemory());
    private final RunFeed feed = new RunFeed();
    /** The workflow of each unfinished run the feed has heard of, for {@code ?workflowId=}. */
    private final Map<UUID, String> workflowOfRun = new ConcurrentHashMap<>();
    /** Set once at shutdown: streams still being opened are closed with 1001 as soon as they are. */
    private volatile boolean closing;
    /** Stream requests between their arrival and their subscriber's registration (or refusal). */
    private final java.util.concurrent.atomic.AtomicInteger opening = new java.util.concurrent.atomic.AtomicInteger();
    /** Told when a run gains its first subscriber here and loses its last: the broker follows it meanwhile. */
    private volatile Interest interest = Interest.NONE;
    /** Drops what the streams' history reads keep of a deleted run ({@link History#forget}); set once, by {@link StreamRoutes}. */
    private volatile Consumer<UUID> forgetHistory = runId -> {};

    /** Set once at start-up, before any stream opens. */
    public void interest(Interest interest) {
        this.interest = interest;
    }

    @Override
    public void committed(List<RunEvent> batch) {
        Set<Topic> touched = new HashSet<>();
        for (RunEvent event : batch) {
            Topic topic = topics.get(event.runId());
            if (topic != null) {
                topic.put(event);
                touched.add(topic);
            }
            feed(event);
        }
        for (Topic topic : touched) {
            topic.wakeAll();
        }
    }

    private void feed(RunEvent event) {
        switch (event.type()) {
            case RUN_START -> {
                String workflowId = event.payload().path("workflowId").asText();
                workflowOfRun.put(event.runId(), workflowId);
                feed.publish(workflowId, event.json());
            }
            case STEP_COMPLETE, STEP_WAITING -> {
                String status = event.type() == EventType.STEP_WAITING ? "waiting" : event.payload().path("status").asText();
                feed.publish(workflowOfRun.get(event.runId()), notice("run_progress", event.runId(),
                        Json.object().put("stepId", event.payload().path("stepId").asText()).put("status", status)));
            }
            case RUN_RESUMED -> feed.publish(workflowOfRun.get(event.runId()), event.json());
            case RUN_COMPLETE -> feed.publish(workflowOfRun.remove(event.runId()), event.json());
            default -> { }
        }
    }

    /** A feed item that is not an event of the run's log: {@code {"type","runId","payload"}}, no seq. */
    private static byte[] notice(String type, UUID runId, ObjectNode payload) {
        ObjectNode notice = Json.object().put("type", type).put("runId", runId.toString());
        notice.set("payload", payload);
        return Json.bytes(notice);
    }

    /** A run was stored as queued: dashboards see a {@code run_queued} envelope (seq 0: no event yet). */
    @Override
    public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        workflowOfRun.put(runId, workflowId);
        ObjectNode envelope = Json.object().put("runId", runId.toString()).put("seq", 0).put("type", "run_queued")
                .put("time", Json.time(at));
        envelope.set("payload", Json.object().put("workflowId", workflowId).put("workflowVersion", workflowVersion)
                .set("trigger", trigger.json()));
        feed.publish(workflowId, Json.bytes(envelope));
    }

    /** A run of a previous process is being finished or queued again: remember its workflow. */
    @Override
    public void recovered(UUID runId, String workflowId) {
        workflowOfRun.put(runId, workflowId);
    }

    /**
     * A finished run was deleted: each of its streams here ends, on its own event loop, with 1000
     * {@value CloseCode#RUN_DELETED} (an SSE response simply ends), wherever it is in the history.
     * A stream that opens in the same moment finds the history cut short and ends the same way
     * ({@link Subscriber}). Dashboards get {@code run_deleted}; with no workflow known, only those
     * that follow every workflow. Any thread; does not block.
     */
    @Override
    public void deleted(UUID runId, String workflowId) {
        workflowOfRun.remove(runId);
        forgetHistory.accept(runId);
        feed.publish(workflowId, notice("run_deleted", runId, Json.object().put("workflowId", workflowId)));
        Topic topic = topics.get(runId);
        if (topic != null) {
            topic.runDeleted();
            topic.subscribers.forEach(Subscriber::runDeleted);
        }
    }

    /** What to call with a deleted run's id, so that the history its streams read is not kept. */
    void forgetHistoryWith(Consumer<UUID> forget) {
        forgetHistory = forget;
    }

    /** Adds a subscriber to its run's topic, creating the topic if the run has none. */
    Subscriber subscribe(UUID runId, java.util.function.Function<Topic, Subscriber> create) {
        Subscriber[] made = new Subscriber[1];
        topics.compute(runId, (id, existing) -> {
            Topic topic = existing != null ? existing : new Topic(id, ringBudget);
            if (existing == null) {
                interest.follow(id);
            }
            made[0] = create.apply(topic);
            topic.add(made[0]);
            return topic;
        });
        made[0].topic().live();
        return made[0];
    }

    /**
     * Where a followed run's log stands, if its topic can tell without the store (see
     * {@link Topic#knownPosition}); else null.
     */
    RunPosition knownPosition(UUID runId, long after) {
        Topic topic = topics.get(runId);
        return topic == null ? null : topic.knownPosition(after);
    }

    void unsubscribe(Subscriber subscriber) {
        topics.computeIfPresent(subscriber.topic().runId, (id, topic) -> {
            topic.remove(subscriber);
            if (topic.subscribers.isEmpty()) {
                interest.unfollow(id);
                topic.release();
                return null;
            }
            return topic;
        });
    }

    void subscribe(FeedSubscriber subscriber) {
        feed.subscribers.add(subscriber);
    }

    void unsubscribe(FeedSubscriber subscriber) {
        feed.subscribers.remove(subscriber);
    }

    RunFeed feed() {
        return feed;
    }

    /** Live connections: run streams and dashboards. */
    public int connections() {
        int count = feed.subscribers.size();
        for (Topic topic : topics.values()) {
            count += topic.subscribers.size();
        }
        return count;
    }

    /** Tells {@code each} the number of subscribers of every run that has some (for the metrics). */
    public void subscriberCounts(java.util.function.IntConsumer each) {
        topics.values().forEach(topic -> each.accept(topic.subscribers.size()));
    }

    boolean closing() {
        return closing;
    }

    /** A stream request arrived; pair with {@link #opened}. */
    void opening() {
        opening.incrementAndGet();
    }

    /** A stream request was registered or refused. */
    void opened() {
        opening.decrementAndGet();
    }

    /**
     * Closes every stream with 1001 (the server is going away; reconnect with after). New stream
     * requests are refused from now on; those already being opened are closed with 1001 as soon
     * as they register, and this waits (up to {@code timeout}) for them, so that none is left to
     * the HTTP server's own close, which would send 1000 ("the run is over").
     */
    public void closeAll(Duration timeout) {
        closing = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        closeRegistered(timeout);
        while (opening.get() > 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        closeRegistered(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    private void closeRegistered(Duration timeout) {
        List<Pump> open = new ArrayList<>(feed.subscribers);
        int dashboards = open.size();
        topics.values().forEach(topic -> open.addAll(topic.subscribers));
        CountDownLatch done = new CountDownLatch(open.size());
        for (int i = 0; i < open.size(); i++) {
            Pump connection = open.get(i);
            // The all-runs stream has no history to resume from: it reconnects and lists again.
            String reason = i < dashboards ? "server shutting down; reconnect" : "server shutting down; reconnect with after";
            connection.context().runOnContext(ignored -> {
                try {
                    connection.close(CloseCode.GOING_AWAY, reason);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
