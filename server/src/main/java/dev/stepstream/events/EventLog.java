package dev.stepstream.events;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event log: producers append, one committer thread stores in batches, listeners hear
 * of events only after their batch is committed (DESIGN.md "The flow of one event").
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #append} blocks while the queue is full (back-pressure, invariant 6): a flooding
 *       script simply waits on its pipe. It is not interruptible, so that a step cancelled in
 *       the middle of a log line cannot leave a gap in its run's seq series.</li>
 *   <li>Events are committed in the order they were appended; a producer that appends a run's
 *       events in seq order (the run's driver does, under its own lock) gets them stored in
 *       that order.</li>
 *   <li>A batch is committed in one {@link Sink#commit} call (one transaction); only after it
 *       returns are the {@link Listener}s told, in commit order, on the committer thread.</li>
 *   <li>A commit that fails because the store is down is retried with back-off until it
 *       succeeds; nothing is dropped, so producers block meanwhile. A batch the store rejects
 *       as wrong is retried run by run (see {@link #commitWithRetry}).</li>
 * </ul>
 *
 * <p>Threads: any number of producers; the queue is the only state they share with the
 * committer. {@code committedCount} is guarded by {@code lock}.
 */
public final class EventLog implements AutoCloseable {

    /** Where batches go: one transaction per call ({@code Store::commit}). */
    @FunctionalInterface
    public interface Sink {
        void commit(List<RunEvent> batch);
    }

    /** Told of each committed batch, on the committer thread: must not block. */
    @FunctionalInterface
    public interface Listener {
        void committed(List<RunEvent> batch);

        /**
         * The store refused a run's events because this node no longer holds the run
         * ({@link RunLostException}); they were dropped, and so will its later ones be.
         */
        default void lost(UUID runId) { }
    }

    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final Sink sink;
    private final BlockingQueue<RunEvent> queue;
    private final int maxBatch;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Thread committer;
    /** Runs refused as lost, so that each is logged once; committer thread only, bounded. */
    private final Map<UUID, Boolean> lostRuns = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
            return size() > 1_000;
        }
    };

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private long appendedCount;   // guarded by lock
    private long committedCount;  // guarded by lock
    private volatile boolean closing;
    /** What {@link #close} queues to wake the committer: never committed. */
    private static final RunEvent CLOSING =
            RunEvent.stored(new UUID(0, 0), 1, EventType.RUN_COMPLETE, Instant.EPOCH, new byte[0]);

    public EventLog(Sink sink, int queueCapacity, int maxBatch) {
        this.sink = sink;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.maxBatch = maxBatch;
        this.committer = Thread.ofPlatform().name("event-log-committer").daemon(false).unstarted(this::commitLoop);
        this.committer.start();
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** Queues an event for commit, blocking while the queue is full. */
    public void append(RunEvent event) {
        if (closing) {
            throw new IllegalStateException("the event log is closed");
        }
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(event);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        lock.lock();
        try {
            appendedCount++;
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every event appended before this call is committed, or the timeout passes. */
    public boolean awaitCommitted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            long target = appendedCount;
            while (committedCount < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                progress.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Events appended but not yet committed. */
    public int depth() {
        return queue.size();
    }

    private void commitLoop() {
        List<RunEvent> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                RunEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, maxBatch - 1);
                    if (closing) {
                        batch.removeIf(event -> event == CLOSING); // only close() queues it, after closing is set
                    }
                }
                if (batch.isEmpty()) {
                    if (closing && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                List<RunEvent> committed = List.copyOf(commitWithRetry(batch));
                int taken = batch.size();
                batch.clear();
                lock.lock();
                try {
                    committedCount += taken;
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
                notifyListeners(committed);
            } catch (InterruptedException e) {
                // Only close() interrupts, and only after the queue has drained or timed out.
                return;
            }
        }
    }

    /**
     * Commits a batch, retrying while the store fails. A batch the store rejects as wrong (an
     * IllegalArgument- or IllegalStateException: a seq that does not continue the log, a bad
     * payload; always a bug) is committed run by run instead, so that one run's bad events
     * cannot stop every other run; the rejected run's events are dropped and logged. A run
     * this node no longer holds ({@link RunLostException}) is no bug: its events are dropped
     * with one warning, and the listeners are told, so that its driver stops.
     *
     * @return the events committed
     */
    private List<RunEvent> commitWithRetry(List<RunEvent> batch) throws InterruptedException {
        try {
            commitRetryingStoreFailures(batch);
            return batch;
        } catch (IllegalArgumentException | IllegalStateException rejected) {
            List<RunEvent> committed = new ArrayList<>(batch.size());
            Map<UUID, List<RunEvent>> byRun = new LinkedHashMap<>();
            batch.forEach(event -> byRun.computeIfAbsent(event.runId(), id -> new ArrayList<>()).add(event));
            for (List<RunEvent> runEvents : byRun.values()) {
                try {
                    commitRetryingStoreFailures(runEvents);
                    committed.addAll(runEvents);
                } catch (RunLostException e) {
                    lost(e, runEvents.size());
                } catch (IllegalArgumentException | IllegalStateException e) {
                    log.error("BUG: the store rejected {} events of run {} ({}); they are dropped",
                            runEvents.size(), runEvents.get(0).runId(), e.getMessage());
                }
            }
            return committed;
        }
    }

    private void lost(RunLostException e, int dropped) {
        if (e.stale()) {
            // From a driver of an earlier claim of a run this node holds again: not the run's
            // driver now, which must not be stopped.
            log.warn("{}: {} event(s) of a stale driver of it dropped", e.getMessage(), dropped);
            return;
        }
        if (lostRuns.put(e.runId(), Boolean.TRUE) == null) {
            log.warn("{}: its {} event(s) from this node are dropped, as will be any later ones", e.getMessage(), dropped);
        }
        for (Listener listener : listeners) {
            try {
                listener.lost(e.runId());
            } catch (RuntimeException failure) {
                log.error("an event listener failed", failure);
            }
        }
    }

    private void commitRetryingStoreFailures(List<RunEvent> batch) throws InterruptedException {
        long backoffMs = 50;
        while (true) {
            try {
                sink.commit(batch);
                return;
            } catch (IllegalArgumentException | IllegalStateException rejected) {
                throw rejected;
            } catch (RuntimeException e) {
                log.error("committing {} events failed; retrying in {} ms", batch.size(), backoffMs, e);
                Thread.sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF.toMillis());
            }
        }
    }

    private void notifyListeners(List<RunEvent> committed) {
        for (Listener listener : listeners) {
            try {
                listener.committed(committed);
            } catch (RuntimeException e) {
                log.error("an event listener failed", e);
            }
        }
    }

    /**
     * Commits what is queued (waiting up to {@code timeout}) and stops the committer.
     * Producers must have stopped appending.
     */
    public void close(Duration timeout) {
        closing = true;
        queue.offer(CLOSING); // wakes the committer if it waits for events; if the queue is full, it does not wait
        try {
            committer.join(timeout);
            if (committer.isAlive()) {
                log.warn("event log closed with {} events not committed", queue.size());
                committer.interrupt();
                committer.join(Duration.ofSeconds(1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
