package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Stands where a node's hub stands: records what the broker delivers, and on which threads. */
final class RecordingHub implements EventLog.Listener, RunListener {
    private final List<RunEvent> events = new ArrayList<>();   // guarded by this
    private final Set<Thread> threads = new HashSet<>();       // guarded by this
    private final List<UUID> queued = new ArrayList<>();       // guarded by this
    private final Map<UUID, RunTrigger> triggers = new HashMap<>(); // guarded by this
    private final List<UUID> deleted = new ArrayList<>();      // guarded by this
    private List<RunEvent> lastBatch;                          // guarded by this
    private long largestBatchBytes;                            // guarded by this
    private final List<String> timeline = new ArrayList<>();   // guarded by this: "run_queued <id>", "<type> <id>"

    /** The envelopes' bytes of the largest batch handed in. */
    synchronized long largestBatchBytes() {
        return largestBatchBytes;
    }

    @Override
    public synchronized void committed(List<RunEvent> batch) {
        threads.add(Thread.currentThread());
        events.addAll(batch);
        lastBatch = batch;
        largestBatchBytes = Math.max(largestBatchBytes, batch.stream().mapToLong(event -> event.json().length).sum());
        batch.forEach(event -> timeline.add(event.type().wire() + " " + event.runId()));
    }

    @Override
    public synchronized void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        queued.add(runId);
        triggers.put(runId, trigger);
        timeline.add("run_queued " + runId);
    }

    synchronized RunTrigger trigger(UUID runId) {
        return triggers.get(runId);
    }

    /** Everything delivered, in order: {@code "run_queued <runId>"} or {@code "<type> <runId>"}. */
    synchronized List<String> timeline() {
        return List.copyOf(timeline);
    }

    @Override
    public void recovered(UUID runId, String workflowId) {}

    @Override
    public synchronized void deleted(UUID runId, String workflowId) {
        deleted.add(runId);
    }

    /** The runs whose deletion was delivered, in order, as often as it was. */
    synchronized List<UUID> deleted() {
        return List.copyOf(deleted);
    }

    synchronized List<Long> seqs(UUID runId) {
        return events.stream().filter(e -> e.runId().equals(runId)).map(RunEvent::seq).toList();
    }

    synchronized List<RunEvent> events(UUID runId) {
        return events.stream().filter(e -> e.runId().equals(runId)).toList();
    }

    synchronized int deliveryThreads() {
        return threads.size();
    }

    synchronized List<UUID> queued() {
        return List.copyOf(queued);
    }

    synchronized List<RunEvent> lastBatch() {
        return lastBatch;
    }

    /** Waits until the run's last delivered seq is {@code seq}, and returns every seq delivered of it. */
    List<Long> awaitSeq(UUID runId, long seq, Duration timeout) {
        return Await.until("run " + runId + " delivered up to seq " + seq, timeout, () -> {
            List<Long> seqs = seqs(runId);
            return !seqs.isEmpty() && seqs.getLast() >= seq ? seqs : null;
        });
    }
}
