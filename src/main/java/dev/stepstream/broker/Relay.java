package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that delivers events to this node's hub when events come from more than one
 * place (this node's committer, other nodes through the transport, the store). It keeps the
 * broker's promise ({@link Broker}): per run, seq order, no gap, no duplicate.
 *
 * <ul>
 *   <li>An event at or below what was delivered of its run is a duplicate: dropped.</li>
 *   <li>An event past the next seq of a followed run means the transport lost some: the
 *       missing ones are read from the store (they are there: an event is published only after
 *       its commit, and a run's events commit in seq order) and delivered first.</li>
 *   <li>Every poll interval, followed runs that heard nothing for that long (all of them while
 *       the transport is down) are compared with the store, and what is missing is delivered:
 *       so a {@code run_complete} the transport lost still arrives.</li>
 * </ul>
 *
 * <p>Bounds: events waiting here are bounded ({@value #CAPACITY} messages). This node's
 * batches wait for room (back-pressure on the committer); messages from the transport are
 * dropped when there is none, and repaired from the store like any other loss. Follow notices
 * are not bounded here, but there is at most one per topic the hub creates or drops.
 *
 * <p>Threads: the relay thread owns {@code runs} and calls the hub; any thread may enqueue.
 */
final class Relay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    static final int CAPACITY = 1024;
    private static final int PAGE = 1000;
    /** Unfollowed runs not heard of for this long are forgotten (their run_complete was never seen here). */
    private static final long FORGET_AFTER_NANOS = Duration.ofMinutes(10).toNanos();

    private record Local(List<RunEvent> batch) {}

    private record Remote(List<RunEvent> events) {}

    private record Follow(UUID runId, boolean on) {}

    private record Task(Runnable task) {}

    /** What was delivered of one run. Relay thread only. */
    private static final class RunState {
        long delivered;        // the last seq delivered to the hub; 0 when none
        boolean followed;
        boolean complete;      // run_complete delivered
        long heardNanos;       // when an event of this run last arrived or the store was last checked
    }

    private final Store store;
    private final EventLog.Listener hub;
    private final Duration pollInterval;
    private final BooleanSupplier pushing;
    private final Consumer<UUID> subscribe;
    private final Consumer<UUID> unsubscribe;
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final Semaphore room = new Semaphore(CAPACITY);
    private final Map<UUID, RunState> runs = new HashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private volatile dev.stepstream.metrics.BrokerMetrics metrics;

    /**
     * @param pushing     whether the transport is up; when not, every followed run is polled
     * @param subscribe   asks the transport for a run's events (called on the relay thread; must not block)
     * @param unsubscribe the reverse
     */
    Relay(Store store, EventLog.Listener hub, Duration pollInterval, BooleanSupplier pushing,
          Consumer<UUID> subscribe, Consumer<UUID> unsubscribe) {
        this.store = store;
        this.hub = hub;
        this.pollInterval = pollInterval;
        this.pushing = pushing;
        this.subscribe = subscribe;
        this.unsubscribe = unsubscribe;
        this.thread = Thread.ofPlatform().name("broker-relay").daemon(true).start(this::loop);
    }

    /** Counts the gaps this relay fills from the store from now on. */
    void measure(dev.stepstream.metrics.BrokerMetrics gaps) {
        this.metrics = gaps;
    }

    private void repairedFromStore(int events) {
        repaired.addAndGet(events);
        dev.stepstream.metrics.BrokerMetrics gaps = metrics;
        if (gaps != null) {
            gaps.gapRepaired(events);
        }
    }

    /** This node's committed batch (committer thread): waits for room, never dropped. */
    void local(List<RunEvent> batch) {
        room.acquireUninterruptibly();
        inbox.add(new Local(batch));
    }

    /** Events from another node (transport thread): dropped when there is no room, and repaired later. */
    void remote(List<RunEvent> events) {
        if (!room.tryAcquire()) {
            dropped.incrementAndGet();
            return;
        }
        inbox.add(new Remote(events));
    }

    void follow(UUID runId) {
        inbox.add(new Follow(runId, true));
    }

    void unfollow(UUID runId) {
        inbox.add(new Follow(runId, false));
    }

    /** Runs {@code task} on the relay thread, in order with the deliveries (a notice that must not overtake them). */
    void execute(Runnable task) {
        inbox.add(new Task(task));
    }

    /** Remote messages dropped for want of room, and events read from the store to fill gaps. */
    long dropped() {
        return dropped.get();
    }

    long repaired() {
        return repaired.get();
    }

    private void loop() {
        long nextCheck = System.nanoTime() + pollInterval.toNanos();
        while (!closing) {
            try {
                Object item = inbox.poll(Math.max(0, nextCheck - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (item != null) {
                    handle(item);
                }
                if (System.nanoTime() - nextCheck >= 0) {
                    check();
                    nextCheck = System.nanoTime() + pollInterval.toNanos();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // The store may be down: what was not delivered is found by a later check.
                log.warn("broker relay: {}", e.toString());
            }
        }
    }

    private void handle(Object item) {
        switch (item) {
            case Local local -> {
                room.release();
                deliver(local.batch());
            }
            case Remote remote -> {
                room.release();
                deliver(remote.events());
            }
            case Follow follow -> follow(follow);
            case Task task -> task.task().run();
            default -> throw new IllegalStateException("unknown relay item " + item);
        }
    }

    private void follow(Follow follow) {
        RunState run = runs.get(follow.runId());
        if (follow.on()) {
            if (run == null) {
                run = new RunState();
                runs.put(follow.runId(), run);
            }
            run.followed = true;
            run.heardNanos = System.nanoTime();
            subscribe.accept(follow.runId());
        } else if (run != null) {
            run.followed = false;
            unsubscribe.accept(follow.runId());
            if (run.complete) {
                runs.remove(follow.runId());
            }
        }
    }

    /** Delivers what continues each run's delivered log, repairing gaps of followed runs from the store. */
    private void deliver(List<RunEvent> events) {
        List<RunEvent> out = new ArrayList<>(events.size());
        long now = System.nanoTime();
        for (RunEvent event : events) {
            RunState run = runs.get(event.runId());
            if (run == null) {
                run = new RunState();
                runs.put(event.runId(), run);
            }
            run.heardNanos = now;
            if (event.seq() <= run.delivered) {
                continue;
            }
            // A gap matters only where a topic follows the run from what was delivered; an
            // unfollowed run (run-level events only) or a first event starts where it starts.
            if (run.followed && run.delivered > 0 && event.seq() > run.delivered + 1) {
                if (!out.isEmpty()) {
                    hub.committed(out);
                    out = new ArrayList<>();
                }
                if (!fill(event.runId(), run, event.seq() - 1)) {
                    continue; // the store did not have them (yet): a later check delivers them
                }
            }
            out.add(event);
            advance(run, event);
        }
        if (!out.isEmpty()) {
            hub.committed(out);
        }
        forgetFinished(events);
    }

    private static void advance(RunState run, RunEvent event) {
        run.delivered = event.seq();
        if (event.type() == EventType.RUN_COMPLETE) {
            run.complete = true;
        }
    }

    /** Delivers the run's stored events after what was delivered, up to {@code upTo}; true when all came. */
    private boolean fill(UUID runId, RunState run, long upTo) {
        while (run.delivered < upTo) {
            int want = (int) Math.min(PAGE, upTo - run.delivered);
            List<RunEvent> page = store.events(runId, run.delivered, want);
            List<RunEvent> next = new ArrayList<>(page.size());
            for (RunEvent event : page) {
                if (event.seq() != run.delivered + next.size() + 1) {
                    break;
                }
                next.add(event);
            }
            if (next.isEmpty()) {
                return false;
            }
            hub.committed(next);
            repairedFromStore(next.size());
            advance(run, next.getLast());
        }
        return true;
    }

    /** Unfollowed runs whose run_complete went by need no state: the hub has no topic for them. */
    private void forgetFinished(List<RunEvent> events) {
        RunEvent last = events.getLast();
        if (last.type() == EventType.RUN_COMPLETE) {
            RunState run = runs.get(last.runId());
            if (run != null && !run.followed && run.complete) {
                runs.remove(last.runId());
            }
        }
    }

    /**
     * Compares followed runs that have been quiet for a poll interval (all of them while the
     * transport is down) with the store, and delivers what is missing. A run of which nothing
     * was delivered gets its last stored event, which tells its subscribers how far the log
     * goes (they read the rest from the store).
     */
    private void check() {
        long now = System.nanoTime();
        boolean polling = !pushing.getAsBoolean();
        List<UUID> quiet = new ArrayList<>();
        for (Iterator<Map.Entry<UUID, RunState>> it = runs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<UUID, RunState> entry = it.next();
            RunState run = entry.getValue();
            if (!run.followed) {
                if (now - run.heardNanos > FORGET_AFTER_NANOS) {
                    it.remove();
                }
                continue;
            }
            if (!run.complete && (polling || now - run.heardNanos >= pollInterval.toNanos())) {
                quiet.add(entry.getKey());
            }
        }
        if (quiet.isEmpty()) {
            return;
        }
        Map<UUID, Long> stored = store.lastSeqs(quiet);
        for (UUID runId : quiet) {
            RunState run = runs.get(runId);
            run.heardNanos = now;
            long last = stored.getOrDefault(runId, 0L);
            if (last <= run.delivered) {
                continue;
            }
            if (run.delivered == 0) {
                List<RunEvent> lastEvent = store.events(runId, last - 1, 1);
                if (!lastEvent.isEmpty()) {
                    hub.committed(lastEvent);
                    repairedFromStore(1);
                    advance(run, lastEvent.getFirst());
                }
            } else {
                fill(runId, run, last);
            }
        }
    }

    /** Stops the thread; deliveries still waiting are dropped (the node is stopping). */
    @Override
    public void close() {
        closing = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
