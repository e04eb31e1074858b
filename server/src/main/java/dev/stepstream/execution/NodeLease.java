package dev.stepstream.execution;

import dev.stepstream.events.RunStatus;
import dev.stepstream.store.OrphanedRun;
import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in the store, and the adoption of the runs of nodes whose lease lapsed
 * (DESIGN.md "Scale"). Every third of the lease it renews its own and adopts the orphans of
 * others: each run that was running on a dead node is ended {@code interrupted} by this node,
 * its open steps first ({@link DriverlessEnd}); the dead node's queued runs go back to
 * the queue. A dead node's lease ends a lease after its last renewal (a third of a lease or less
 * before its death), and another node adopts at its first renewal a {@link #grace()} past that
 * end: so a run cut off by a node's death ends one to one and two thirds leases after it, about
 * one and a third on average.
 *
 * <p>A lease survives a database outage shorter than itself: a failed renewal is retried
 * every {@link #retryEvery()}, not a third of a lease later, and another node takes a lease
 * for lapsed only a {@link #grace()} after its end. Meanwhile the holder counts its lease from
 * the moment it <em>asked</em> for it, on its own monotonic clock ({@link #held}), and starts
 * no step once that has passed until a renewal succeeds; so a node paused (SIGSTOP) or cut off
 * past its lease does nothing more that shows outside before it learns whether its runs were
 * taken. What it still commits is refused by the store's fence (the run's owner).
 *
 * <p>Clocks: a lease is an instant of the node that holds it, compared with the clock of the
 * node that adopts; nodes' clocks must agree to within the grace (NTP does far better).
 *
 * <p>Threads: one virtual thread renews and adopts. {@code heldUntilNanos} and {@code lost} are
 * written by it alone and guarded by {@code lock}, on whose {@code changed} condition run
 * drivers wait for a renewal ({@link #awaitHeld}).
 */
final class NodeLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLease.class);

    private final Store store;
    private final DriverlessEnd ending;
    private final String nodeId;
    private final Duration lease;
    private final boolean alone;
    private final Clock clock;
    private final Runnable released;
    private final Runnable lapsed;
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread renewer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long heldUntilNanos;   // guarded by lock: clock.nanoTime() until which the lease is surely ours
    private long renewals;         // guarded by lock: counts renewals and losses, for awaitHeld

    /**
     * @param alone    the only node of its store (SQLite): at start, every other node there is gone
     * @param released called when queued runs were released, so that the claimer looks for them
     * @param lapsed   called when this node finds its own lease lapsed and its runs adopted elsewhere
     */
    NodeLease(Store store, DriverlessEnd ending, String nodeId, Duration lease, boolean alone,
              Clock clock, Runnable released, Runnable lapsed) {
        this.store = store;
        this.ending = ending;
        this.nodeId = nodeId;
        this.lease = lease;
        this.alone = alone;
        this.clock = clock;
        this.released = released;
        this.lapsed = lapsed;
    }

    /** Renewals come every third of the lease while they succeed. */
    private Duration renewEvery() {
        return lease.dividedBy(3);
    }

    /** A failed renewal is tried again this soon: a tenth of the lease, so a blip costs little of it. */
    private Duration retryEvery() {
        return lease.dividedBy(10);
    }

    /** How long after a lease's end another node takes it for lapsed: a third of the lease. */
    private Duration grace() {
        return lease.dividedBy(3);
    }

    /** Registers the node and adopts what gone nodes left, before the node takes any run. */
    void start() {
        long asked = clock.nanoTime();
        Instant now = clock.now();
        store.registerNode(nodeId, now, now.plus(lease));
        held(asked);
        adopt(alone ? Instant.ofEpochMilli(Long.MAX_VALUE) : now.minus(grace()));
        renewer = Thread.ofVirtual().name("node-lease").start(this::renewLoop);
    }

    private void renewLoop() {
        Duration wait = renewEvery();
        boolean failing = false;
        try {
            while (!clock.await(stop, wait)) {
                try {
                    long asked = clock.nanoTime();
                    Instant now = clock.now();
                    if (store.renewLease(nodeId, now.plus(lease))) {
                        held(asked);
                    } else {
                        log.warn("this node's lease lapsed and another node took its runs over;"
                                + " stopping them here and registering again");
                        lapsed.run();
                        lost();
                        // From now, not from when the renewal was asked: that call may have waited
                        // long for the database, and a lease that ends in the past is taken at once.
                        asked = clock.nanoTime();
                        now = clock.now();
                        store.registerNode(nodeId, now, now.plus(lease));
                        held(asked);
                    }
                    adopt(clock.now().minus(grace()));
                    // The next renewal a third of a lease after this one was asked, however long it took.
                    wait = Duration.ofNanos(Math.max(0, renewEvery().toNanos() - (clock.nanoTime() - asked)));
                    failing = false;
                } catch (RuntimeException e) {
                    if (!failing) {
                        log.warn("could not renew this node's lease (retrying every {}): {}", retryEvery(), e.getMessage());
                    }
                    failing = true;
                    wait = retryEvery();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void held(long askedNanos) {
        lock.lock();
        try {
            heldUntilNanos = askedNanos + lease.toNanos();
            renewals++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void lost() {
        lock.lock();
        try {
            heldUntilNanos = clock.nanoTime();
            renewals++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether this node surely holds its lease now, by its own last renewal. */
    boolean held() {
        lock.lock();
        try {
            return clock.nanoTime() - heldUntilNanos < 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the lease is surely held, or until {@code timeout} passes or the lease's state
     * changes (a renewal, or its loss): callers re-check what they wait for.
     */
    void awaitHeld(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long seen = renewals;
            long left = timeout.toNanos();
            long deadline = clock.nanoTime() + left;
            while (clock.nanoTime() - heldUntilNanos >= 0 && renewals == seen && left > 0) {
                clock.awaitNanos(changed, left);
                left = deadline - clock.nanoTime();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the running runs of nodes whose lease ended before {@code deadline} and releases
     * their queued ones. The adoption made each run this node's, at the seq it returned: no
     * other node may append to it any more, and no driver of it runs here.
     */
    private void adopt(Instant deadline) {
        List<OrphanedRun> orphans = store.adoptOrphans(nodeId, deadline);
        for (OrphanedRun run : orphans) {
            ending.end(run.runId(), run.workflowId(), run.lastSeq(), RunStatus.INTERRUPTED, DriverlessEnd.INTERRUPTED);
            log.info("run {} was running on a node that stopped: marked interrupted", run.runId());
        }
        // Runs of gone nodes that were queued (or claimed but not started) are claimable again.
        released.run();
    }

    /** Stops renewing and gives the lease up: this node's unfinished runs (if any) become orphans. */
    @Override
    public void close() {
        stop.countDown();
        if (renewer != null) {
            try {
                renewer.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            store.deregisterNode(nodeId);
        } catch (RuntimeException e) {
            log.warn("could not deregister this node: {}", e.getMessage());
        }
    }
}
