package dev.stepstream.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunStatus;
import dev.stepstream.json.Json;
import dev.stepstream.store.OrphanedRun;
import dev.stepstream.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease in the store, and the adoption of the runs of nodes whose lease lapsed
 * (DESIGN.md "Scale"). Every third of the lease it renews its own and adopts the orphans of
 * others: each run that was running on a dead node gets a {@code run_complete} with status
 * {@code interrupted} at its next seq, from this node; the dead node's queued runs go back to
 * the queue. So a run cut off by a node's death ends within about one lease.
 *
 * <p>Clocks: a lease is an instant of the node that holds it, compared with the clock of the
 * node that adopts; nodes' clocks must agree to well within a lease (NTP does).
 *
 * <p>Threads: one virtual thread renews and adopts; it owns no state but the stop latch.
 */
final class NodeLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeLease.class);

    private final Store store;
    private final EventLog eventLog;
    private final RunListener listener;
    private final String nodeId;
    private final Duration lease;
    private final boolean alone;
    private final Runnable released;
    private final Runnable lapsed;
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread renewer;

    /**
     * @param alone    the only node of its store (SQLite): at start, every other node there is gone
     * @param released called when queued runs were released, so that the claimer looks for them
     * @param lapsed   called when this node finds its own lease lapsed and its runs adopted elsewhere
     */
    NodeLease(Store store, EventLog eventLog, RunListener listener, String nodeId, Duration lease, boolean alone,
              Runnable released, Runnable lapsed) {
        this.store = store;
        this.eventLog = eventLog;
        this.listener = listener;
        this.nodeId = nodeId;
        this.lease = lease;
        this.alone = alone;
        this.released = released;
        this.lapsed = lapsed;
    }

    /** Registers the node and adopts what gone nodes left, before the node takes any run. */
    void start() {
        Instant now = Json.now();
        store.registerNode(nodeId, now, now.plus(lease));
        adopt(alone ? Instant.ofEpochMilli(Long.MAX_VALUE) : now);
        renewer = Thread.ofVirtual().name("node-lease").start(this::renewLoop);
    }

    private void renewLoop() {
        Duration every = lease.dividedBy(3);
        try {
            while (!stop.await(every.toMillis(), TimeUnit.MILLISECONDS)) {
                try {
                    Instant now = Json.now();
                    if (!store.renewLease(nodeId, now.plus(lease))) {
                        log.error("this node's lease lapsed and its runs were marked interrupted by another node;"
                                + " stopping them and registering again");
                        lapsed.run();
                        store.registerNode(nodeId, now, now.plus(lease));
                    }
                    adopt(now);
                } catch (RuntimeException e) {
                    log.warn("could not renew this node's lease (retrying in {}): {}", every, e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void adopt(Instant deadline) {
        List<OrphanedRun> orphans = store.adoptOrphans(nodeId, deadline);
        Instant now = Json.now();
        for (OrphanedRun run : orphans) {
            listener.recovered(run.runId(), run.workflowId());
            long duration = run.startedAt() == null ? 0 : Math.max(0, Duration.between(run.startedAt(), now).toMillis());
            ObjectNode payload = Json.object().put("status", RunStatus.INTERRUPTED.wire()).put("duration", duration)
                    .put("error", "the server stopped while the run was running");
            eventLog.append(RunEvent.create(run.runId(), run.lastSeq() + 1, EventType.RUN_COMPLETE, now, payload));
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
