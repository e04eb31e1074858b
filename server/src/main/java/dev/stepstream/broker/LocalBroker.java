package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.store.RunTrigger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The broker of a single node: committed batches go straight to the hub on the committer
 * thread, which is then the hub's one delivery thread. Nothing is copied, queued or encoded:
 * the default costs one call.
 */
public final class LocalBroker implements Broker {
    private final EventLog.Listener hub;
    private final RunListener runs;

    public LocalBroker(EventLog.Listener hub, RunListener runs) {
        this.hub = hub;
        this.runs = runs;
    }

    @Override
    public void committed(List<RunEvent> batch) {
        hub.committed(batch);
    }

    @Override
    public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        runs.queued(runId, workflowId, workflowVersion, at, trigger);
    }

    @Override
    public void recovered(UUID runId, String workflowId) {
        runs.recovered(runId, workflowId);
    }

    /** On the thread that deleted the run, which the hub's close of its streams does not block. */
    @Override
    public void deleted(UUID runId, String workflowId) {
        runs.deleted(runId, workflowId);
    }

    /** One node: the hub already hears every event. */
    @Override
    public void follow(UUID runId) {}

    @Override
    public void unfollow(UUID runId) {}

    /** One node: there is no other to tell. */
    @Override
    public void cancel(String nodeId, UUID runId) {}

    @Override
    public void decided(String nodeId, UUID runId) {}

    @Override
    public void onNotices(Runnable runQueued, Consumer<UUID> cancel, Consumer<UUID> decided) {}

    @Override
    public Optional<String> problem() {
        return Optional.empty();
    }

    @Override
    public void close() {}
}
