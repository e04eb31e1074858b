package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.store.ActiveRun;
import dev.stepstream.store.DeletedRun;
import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
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
 *       its commit, and a run's events commit in seq order) and delivered first. The read runs
 *       on a virtual thread: that run's later events wait for it, other runs' do not.</li>
 *   <li>Every poll interval, followed runs that heard nothing for that long (all of them while
 *       the transport is down) are compared with the store, and what is missing is delivered:
 *       so a {@code run_complete} the transport lost still arrives.</li>
 *   <li>A notice that a run was queued ({@link #queued}) is delivered only before anything of
 *       the run: one that comes after the run's first event (the run was queued on another
 *       node and started at once) is dropped, so that no stream shows {@code run_queued} after
 *       {@code run_start}.</li>
 *   <li>While the transport is down (or where there is none), the run-level events of every
 *       run (its run_start, step_completes and run_complete) and the runs queued are read from
 *       the store every poll interval ({@link Store#activeRuns}), so the all-runs stream still
 *       shows the runs of other nodes, a poll interval late at worst. The node says so in the
 *       store ({@link Store#markBrokerDown}), and while a live node says so, the other nodes read
 *       every run's run-level events, queueings and deletions from the store too: that node
 *       publishes nothing, so their all-runs streams would never show its runs.</li>
 *   <li>A run deleted ({@link #deleted}, here or on another node) is told to the hub once. While
 *       polling, the runs deleted lately are read from the store with the runs' run-level events
 *       ({@link Store#deletedRuns}), so the all-runs stream hears of other nodes' deletions too.
 *       A followed run that the store no longer has is a deleted run as well, found by the same
 *       checks (all followed runs, finished or not, while polling): so a node that missed the
 *       notice still ends the run's streams.</li>
 *   <li>What was delivered of a run is remembered for a while ({@code forgetEndedAfterNanos}) after
 *       its {@code run_complete}, whether or not a topic follows it: a copy of an event that
 *       comes late by the other channel (a run's own and the all-runs one carry its run-level
 *       events both) is still a duplicate then.</li>
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
    /** How far back, past the last poll, a poll of the store looks for runs that ended (clocks of nodes differ). */
    private static final Duration POLL_MARGIN = Duration.ofSeconds(5);

    private record Local(List<RunEvent> batch) {}

    private record Remote(List<RunEvent> events) {}

    private record Follow(UUID runId, boolean on) {}

    private record Task(Runnable task) {}

    private record Queued(UUID runId, Runnable deliver) {}

    private record Deleted(UUID runId, String workflowId) {}

    /**
     * What a repair read from the store (seq order, from the run's delivered seq on; may stop
     * short), or null if it failed; and the seq up to which the gap goes when the read stopped at
     * {@link #MAX_REPAIR_BYTES} before it, else -1.
     */
    private record Repaired(UUID runId, List<RunEvent> events, long goesOnTo) {}

    /** Bytes of envelopes one repair read holds: a longer gap is read and delivered in parts. */
    private static final long MAX_REPAIR_BYTES = 16L << 20;

    /**
     * Events of one run that may wait while its gap is repaired, and their envelopes' bytes (the
     * first limit that is reached counts: 10,000 lines of 16 KiB would be 160 MB); past either,
     * they are dropped and read again later.
     */
    private static final int MAX_HELD = 10_000;
    private static final long MAX_HELD_BYTES = 16L << 20;

    /** What was delivered of one run. Relay thread only. */
    private static final class RunState {
        long delivered;        // the last seq delivered to the hub; 0 when none
        boolean followed;
        boolean complete;      // run_complete delivered
        boolean announced;     // run_queued delivered
        boolean deleted;       // its deletion was told to the hub
        boolean positioned;    // delivered is where the topic's history ends, even at 0 (taken from the store at follow)
        /** A gap is being read from the store on a virtual thread; events of the run that come meanwhile wait here. */
        List<RunEvent> held;
        long heldBytes;
        long polledSeq;        // the run's last seq when its run-level events were last read from the store
        long heardNanos;       // when an event of this run last arrived or the store was last checked
    }

    private final Store store;
    private final Clock clock;
    private final EventLog.Listener hub;
    private final RunListener announce;
    /** Unfollowed runs whose run_complete was delivered are forgotten once nothing was heard of them for this long. */
    private final long forgetEndedAfterNanos;
    private Instant lastRunPoll;     // relay thread: when the store was last polled for every run; null while pushing
    private long pushingSinceNanos;  // relay thread: when push came back after an outage; 0 while polling
    private boolean caughtUp;        // relay thread: the store was polled once more when the first push came back
    private Instant markedDownUntil; // relay thread: until when the store says this node's transport is down; null if never said
    private final String nodeId;
    private final Duration pollInterval;
    private final BooleanSupplier pushing;
    private final Consumer<UUID> subscribe;
    private final Consumer<UUID> unsubscribe;
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final Semaphore room = new Semaphore(CAPACITY);
    private final Map<UUID, RunState> runs = new HashMap<>();
    /**
     * Runs whose deletion was told to the hub, with the wall-clock millisecond it was told, oldest
     * first: kept while a poll may read the deletion again ({@link #forgetToldDeletions}), so that
     * it is told once. Relay thread only.
     */
    private final LinkedHashMap<UUID, Long> toldDeleted = new LinkedHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private volatile dev.stepstream.metrics.BrokerMetrics metrics;

    /**
     * @param nodeId      this node's id in the store, where it says that its transport is down
     * @param announce    where the runs found queued in the store are announced (the hub), while polling
     * @param pushing     whether the transport is up; when not, every followed run is polled, and every run's run-level events
     * @param subscribe   asks the transport for a run's events (called on the relay thread; must not block)
     * @param unsubscribe the reverse
     */
    Relay(String nodeId, Store store, EventLog.Listener hub, RunListener announce, Duration pollInterval, BooleanSupplier pushing,
          Consumer<UUID> subscribe, Consumer<UUID> unsubscribe, Clock clock) {
        this.nodeId = nodeId;
        this.clock = clock;
        this.store = store;
        this.hub = hub;
        this.announce = announce;
        // Longer than any poll looks back: a run_complete read twice from the store is still known then.
        this.forgetEndedAfterNanos = Math.max(Duration.ofMinutes(1).toNanos(),
                pollInterval.multipliedBy(4).plus(POLL_MARGIN.multipliedBy(2)).toNanos());
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

    /**
     * A run was queued (here or on another node): {@code deliver} tells the hub, on the relay
     * thread, unless something of the run was delivered already.
     */
    void queued(UUID runId, Runnable deliver) {
        inbox.add(new Queued(runId, deliver));
    }

    /** A run was deleted (here or on another node): the hub is told, on the relay thread, once. */
    void deleted(UUID runId, String workflowId) {
        inbox.add(new Deleted(runId, workflowId));
    }

    /** Remote messages dropped for want of room, and events read from the store to fill gaps. */
    long dropped() {
        return dropped.get();
    }

    long repaired() {
        return repaired.get();
    }

    private void loop() {
        long nextCheck = clock.nanoTime() + pollInterval.toNanos();
        while (!closing) {
            try {
                Object item = clock.poll(inbox, Math.max(0, nextCheck - clock.nanoTime()));
                if (item != null) {
                    handle(item);
                }
                if (clock.nanoTime() - nextCheck >= 0) {
                    check();
                    nextCheck = clock.nanoTime() + pollInterval.toNanos();
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
                if (lastRunPoll != null && !caughtUp) {
                    // The first push after an outage: what was committed meanwhile comes first, from the store.
                    caughtUp = true;
                    try {
                        pollEveryRun(clock.nanoTime());
                    } catch (RuntimeException e) {
                        log.warn("broker relay: could not read the store after an outage: {}", e.toString());
                    }
                }
                deliver(remote.events());
            }
            case Follow follow -> follow(follow);
            case Task task -> task.task().run();
            case Queued queued -> queued(queued);
            case Deleted deleted -> tellDeleted(deleted.runId(), deleted.workflowId());
            case Repaired repaired -> repaired(repaired);
            default -> throw new IllegalStateException("unknown relay item " + item);
        }
    }

    /** What was delivered of the run, made empty the first time the relay hears of it. */
    private RunState state(UUID runId) {
        return runs.computeIfAbsent(runId, id -> new RunState());
    }

    private void queued(Queued queued) {
        RunState run = state(queued.runId());
        run.heardNanos = clock.nanoTime();
        if (run.delivered == 0 && !run.announced) {
            run.announced = true;
            queued.deliver().run();
        }
    }

    /**
     * Tells the hub once per run, whether it came by a notice, a poll of the deletions or a check
     * that found a followed run gone (its {@code workflowId} from the log of deletions then, null
     * if that has none). A run the relay does not know
     * gets no state (retention deletes many), only its place in {@code toldDeleted} for a while.
     */
    private void tellDeleted(UUID runId, String workflowId) {
        if (toldDeleted.containsKey(runId)) {
            return;
        }
        RunState run = runs.get(runId);
        if (run != null) {
            if (run.deleted) {
                return;
            }
            run.deleted = true;
        }
        toldDeleted.put(runId, clock.instant().toEpochMilli());
        announce.deleted(runId, workflowId);
    }

    /**
     * Forgets the deletions told before any that the next poll can read: it reads those at or
     * after its {@link #pollSince} by the deleting node's clock, which may be ahead of this one's
     * by {@link #POLL_MARGIN}, and a deletion is told here only after it was committed.
     */
    private void forgetToldDeletions() {
        long horizon = pollSince().minus(POLL_MARGIN).toEpochMilli();
        for (Iterator<Long> told = toldDeleted.values().iterator(); told.hasNext() && told.next() < horizon; ) {
            told.remove();
        }
    }

    /** Where the next poll of every run starts: past the last poll by an interval and a margin, for runs that ended in between. */
    private Instant pollSince() {
        return (lastRunPoll == null ? clock.instant() : lastRunPoll).minus(pollInterval).minus(POLL_MARGIN);
    }

    private void follow(Follow follow) {
        RunState run = runs.get(follow.runId());
        if (follow.on()) {
            if (run == null) {
                run = state(follow.runId());
            }
            if (run.delivered == 0 && !run.positioned && !pushing.getAsBoolean()) {
                // Nothing will be pushed: what is stored now is the topic's history, the rest comes by
                // polls. The all-runs stream still gets the run-level events up to there, first. Also
                // for a run known only from its queueing (a poll announced it): else the first check
                // would take it for one never delivered and jump to its last event.
                long stored = store.lastSeqs(List.of(follow.runId())).getOrDefault(follow.runId(), 0L);
                deliverRunLevel(follow.runId(), run, stored);
                run.delivered = stored;
                run.positioned = true;
            }
            run.followed = true;
            run.heardNanos = clock.nanoTime();
            subscribe.accept(follow.runId());
        } else if (run != null) {
            run.followed = false;
            unsubscribe.accept(follow.runId());
        }
    }

    /** Delivers what continues each run's delivered log, repairing gaps of followed runs from the store. */
    private void deliver(List<RunEvent> events) {
        List<RunEvent> out = new ArrayList<>(events.size());
        long now = clock.nanoTime();
        for (RunEvent event : events) {
            RunState run = state(event.runId());
            run.heardNanos = now;
            if (event.seq() <= run.delivered) {
                continue;
            }
            if (run.held != null) {
                if (run.held.size() < MAX_HELD && run.heldBytes < MAX_HELD_BYTES) {
                    hold(run, event); // its gap is being read: it goes after what the store has
                }
                continue;
            }
            // A gap matters only where a topic follows the run from what was delivered; an
            // unfollowed run (run-level events only) or a first event starts where it starts.
            if (run.followed && run.delivered > 0 && event.seq() > run.delivered + 1) {
                repair(event.runId(), run, event.seq() - 1);
                hold(run, event);
                continue;
            }
            out.add(event);
            advance(run, event);
        }
        if (!out.isEmpty()) {
            hub.committed(out);
        }
    }

    /**
     * Reads a followed run's missing events from the store on a virtual thread, so that a slow
     * read holds back this run alone, not the deliveries of every other run (and, through the
     * relay's bounded inbox, this node's committer). The run's events that come meanwhile wait
     * in {@code held}; {@link #repaired} delivers the read ones, then those. A gap of more than
     * {@link #MAX_REPAIR_BYTES} (a transport down for a while under a run of long lines) is read
     * in parts, each delivered before the next is read.
     */
    private void repair(UUID runId, RunState run, long upTo) {
        run.held = new ArrayList<>();
        run.heldBytes = 0;
        readGap(runId, run.delivered, upTo);
    }

    /** On a virtual thread: the run's events after {@code from} up to {@code upTo}, or as many as {@link #MAX_REPAIR_BYTES} hold, into the inbox. */
    private void readGap(UUID runId, long from, long upTo) {
        Thread.ofVirtual().name("relay-repair-" + runId).start(() -> {
            List<RunEvent> read = new ArrayList<>();
            long goesOnTo = -1;
            try {
                long after = from;
                long bytes = 0;
                while (after < upTo) {
                    if (bytes >= MAX_REPAIR_BYTES) {
                        goesOnTo = upTo;
                        break;
                    }
                    List<RunEvent> page = store.events(runId, after, (int) Math.min(PAGE, upTo - after));
                    if (page.isEmpty()) {
                        break;
                    }
                    read.addAll(page);
                    for (RunEvent event : page) {
                        bytes += event.json().length;
                    }
                    after = page.getLast().seq();
                }
            } catch (RuntimeException e) {
                log.debug("broker relay: could not read the gap of run {}: {}", runId, e.toString());
                read = null;
            }
            inbox.add(new Repaired(runId, read, goesOnTo));
        });
    }

    private static void hold(RunState run, RunEvent event) {
        run.held.add(event);
        run.heldBytes += event.json().length;
    }

    /** Relay thread: what a repair read, then the events that waited for it (which may find a gap again). */
    private void repaired(Repaired repaired) {
        RunState run = runs.get(repaired.runId());
        if (run == null || run.held == null) {
            return;
        }
        List<RunEvent> next = new ArrayList<>();
        if (repaired.events() != null) {
            for (RunEvent event : repaired.events()) {
                if (event.seq() == run.delivered + next.size() + 1) {
                    next.add(event);
                } else if (event.seq() > run.delivered + next.size() + 1) {
                    break;
                }
            }
        }
        if (!next.isEmpty()) {
            hub.committed(next);
            repairedFromStore(next.size());
            advance(run, next.getLast());
            if (repaired.goesOnTo() > run.delivered) {
                // The read stopped at its bytes: the next part, while the events that wait go on waiting.
                readGap(repaired.runId(), run.delivered, repaired.goesOnTo());
                return;
            }
        }
        List<RunEvent> waiting = run.held;
        run.held = null;
        if (repaired.events() == null || (!waiting.isEmpty() && waiting.getFirst().seq() > run.delivered + 1)) {
            // The store failed, or does not have them yet: a later check of the run reads them.
            run.heardNanos = clock.nanoTime() - pollInterval.toNanos();
            return;
        }
        if (!waiting.isEmpty()) {
            deliver(waiting);
        }
    }

    private static void advance(RunState run, RunEvent event) {
        run.delivered = event.seq();
        if (event.type() == EventType.RUN_COMPLETE) {
            run.complete = true;
        }
    }

    /**
     * Compares followed runs that have been quiet for a poll interval (all of them while the
     * transport is down) with the store, and delivers what is missing. A run of which nothing
     * was delivered gets its last stored event, which tells its subscribers how far the log
     * goes (they read the rest from the store). Polls every run while this node's transport is
     * down, or another node's ({@link #othersWithoutTransport}), and a while after.
     */
    private void check() {
        long now = clock.nanoTime();
        boolean polling = !pushing.getAsBoolean();
        forgetToldDeletions();
        Set<UUID> quiet = new HashSet<>();
        List<UUID> watched = new ArrayList<>(); // quiet, and finished ones too: to see whether they were deleted
        for (Iterator<Map.Entry<UUID, RunState>> it = runs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<UUID, RunState> entry = it.next();
            RunState run = entry.getValue();
            if (!run.followed) {
                if (now - run.heardNanos > (run.complete ? forgetEndedAfterNanos : FORGET_AFTER_NANOS)) {
                    it.remove();
                }
                continue;
            }
            if (run.deleted || !(polling || now - run.heardNanos >= pollInterval.toNanos())) {
                continue;
            }
            watched.add(entry.getKey());
            if (!run.complete && run.held == null) {
                quiet.add(entry.getKey());
            }
        }
        if (polling) {
            pushingSinceNanos = 0;
            caughtUp = false;
            pollEveryRun(now);
            sayTransportDown();
        } else if (othersWithoutTransport()) {
            pushingSinceNanos = 0;
            pollEveryRun(now);
        } else if (lastRunPoll != null) {
            // Push is back: poll a while longer, for what other nodes committed while it was
            // down, before they could publish again.
            if (pushingSinceNanos == 0) {
                pushingSinceNanos = now;
            }
            if (now - pushingSinceNanos < pollInterval.multipliedBy(3).plus(POLL_MARGIN).toNanos()) {
                pollEveryRun(now);
            } else {
                lastRunPoll = null;
            }
        }
        if (watched.isEmpty()) {
            return;
        }
        Map<UUID, Long> stored = store.lastSeqs(watched);
        Map<UUID, String> workflowOfDeleted = null;
        for (UUID runId : watched) {
            RunState run = runs.get(runId);
            run.heardNanos = now;
            if (!stored.containsKey(runId)) {
                // A stream opened only for a run that existed: its row is gone. Its workflow, from
                // the log of deletions (committed with the row's deletion), for the all-runs
                // streams filtered by workflow: told once, it is not told again by the next poll.
                if (workflowOfDeleted == null) {
                    workflowOfDeleted = new HashMap<>();
                    for (DeletedRun deleted : store.deletedRuns(pollSince())) {
                        workflowOfDeleted.put(deleted.runId(), deleted.workflowId());
                    }
                }
                tellDeleted(runId, workflowOfDeleted.get(runId));
                continue;
            }
            if (!quiet.contains(runId)) {
                continue;
            }
            long last = stored.get(runId);
            if (last <= run.delivered) {
                continue;
            }
            if (run.delivered == 0 && !run.positioned) {
                List<RunEvent> lastEvent = store.events(runId, last - 1, 1);
                if (!lastEvent.isEmpty()) {
                    deliverRunLevel(runId, run, last - 1); // for the all-runs stream, which the jump would skip
                    hub.committed(lastEvent);
                    repairedFromStore(1);
                    advance(run, lastEvent.getFirst());
                }
            } else {
                repair(runId, run, last);
            }
        }
    }

    /**
     * Says in the store that this node's transport is down, for a while longer than the others
     * take to read it: again when less than {@link #POLL_MARGIN} of that is left. Once it is back,
     * the word lapses by itself, and the others poll a while longer (as after their own outage),
     * for what this node committed before it could publish again.
     */
    private void sayTransportDown() {
        Instant now = clock.instant();
        if (markedDownUntil != null && markedDownUntil.minus(POLL_MARGIN).isAfter(now)) {
            return;
        }
        Instant until = now.plus(pollInterval.multipliedBy(3)).plus(POLL_MARGIN.multipliedBy(2));
        store.markBrokerDown(nodeId, until);
        markedDownUntil = until;
    }

    /** Whether another live node says its transport is down: its runs reach no one else but through the store. */
    private boolean othersWithoutTransport() {
        try {
            return store.anyNodeWithoutBroker(clock.instant());
        } catch (RuntimeException e) {
            log.debug("broker relay: could not read which nodes have no broker: {}", e.toString());
            return false;
        }
    }

    /**
     * What the transport would have brought of runs no topic here follows: the runs queued
     * (announced once), each run's run-level events, read only when its log moved since the
     * last read, and the runs deleted. Looks back past the last poll by a margin, for runs that
     * ended in between.
     */
    private void pollEveryRun(long now) {
        Instant since = pollSince();
        lastRunPoll = clock.instant();
        for (ActiveRun active : store.activeRuns(since)) {
            RunState run = state(active.runId());
            if (run.delivered == 0 && !run.announced) {
                // Queued, or queued and started (or ended) since the last poll: its queueing comes first.
                announce(run, active, now);
            }
            if (run.followed) {
                continue; // the check of followed runs reads their whole log
            }
            if (run.complete || active.lastSeq() <= Math.max(run.delivered, run.polledSeq)) {
                continue;
            }
            run.heardNanos = now;
            run.polledSeq = active.lastSeq();
            deliverRunLevel(active.runId(), run, active.lastSeq());
        }
        for (DeletedRun deleted : store.deletedRuns(since)) {
            tellDeleted(deleted.runId(), deleted.workflowId());
        }
    }

    /**
     * Delivers the run's stored run-level events after what was delivered, up to {@code upTo}:
     * before the relay jumps over the rest of a log (a topic reads its history from the store
     * itself), so that the all-runs stream misses none of them.
     */
    private void deliverRunLevel(UUID runId, RunState run, long upTo) {
        List<RunEvent> events = store.runLevelEvents(runId, run.delivered).stream()
                .filter(event -> event.seq() <= upTo).toList();
        if (!events.isEmpty()) {
            hub.committed(events);
            repairedFromStore(events.size());
            advance(run, events.getLast());
        }
    }

    private void announce(RunState run, ActiveRun active, long now) {
        run.announced = true;
        run.heardNanos = now;
        announce.queued(active.runId(), active.workflowId(), active.workflowVersion(), active.createdAt(), active.trigger());
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
