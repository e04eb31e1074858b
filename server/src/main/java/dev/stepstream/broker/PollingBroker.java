package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The broker of nodes that share PostgreSQL without Redis: this node's events are delivered at
 * once, and the runs its streams follow are read from the store every poll interval, so a
 * stream of a run executed on another node works, a poll interval behind. Queued runs and
 * cancels reach other nodes through the store too (their claimers poll it), and so do deletions:
 * each poll reads the store's log of them, and a followed run gone from the store is a deleted
 * run too ({@link Relay}). Such a node says in the store that it publishes nothing, so that nodes
 * of the same store that do have Redis poll for its runs as well.
 */
public final class PollingBroker implements Broker {
    private final RunListener runs;
    private final Relay relay;

    public PollingBroker(String nodeId, Store store, EventLog.Listener hub, RunListener runs, Duration pollInterval, Clock clock) {
        this.runs = runs;
        this.relay = new Relay(nodeId, store, hub, runs, pollInterval, () -> false, runId -> { }, runId -> { }, clock);
    }

    @Override
    public void committed(List<RunEvent> batch) {
        relay.local(batch);
    }

    @Override
    public void measure(dev.stepstream.metrics.BrokerMetrics metrics) {
        relay.measure(metrics);
    }

    @Override
    public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        relay.queued(runId, () -> runs.queued(runId, workflowId, workflowVersion, at, trigger));
    }

    @Override
    public void claimed(UUID runId, String workflowId, int workflowVersion, Instant queuedAt, RunTrigger trigger) {
        queued(runId, workflowId, workflowVersion, queuedAt, trigger);
    }

    @Override
    public void recovered(UUID runId, String workflowId) {
        runs.recovered(runId, workflowId);
    }

    /** Here at once, through the relay; other nodes notice when they poll the run. */
    @Override
    public void deleted(UUID runId, String workflowId) {
        relay.deleted(runId, workflowId);
    }

    @Override
    public void cancel(String nodeId, UUID runId) {}

    @Override
    public void follow(UUID runId) {
        relay.follow(runId);
    }

    @Override
    public void unfollow(UUID runId) {
        relay.unfollow(runId);
    }

    /** Runs {@code task} once the relay has handled everything handed to it before (tests: a follow is in place). */
    void afterPending(Runnable task) {
        relay.execute(task);
    }

    /** The nodes learn of it by polling: a driver reads its decisions every second, claimers find waiting runs woken. */
    @Override
    public void decided(String nodeId, UUID runId) {}

    @Override
    public void onNotices(Runnable runQueued, Consumer<UUID> cancel, Consumer<UUID> decided) {}

    @Override
    public Optional<String> problem() {
        return Optional.empty();
    }

    @Override
    public void close() {
        relay.close();
    }
}
