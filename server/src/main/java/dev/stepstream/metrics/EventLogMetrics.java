package dev.stepstream.metrics;

import dev.stepstream.events.EventLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * The event log's meters: each commit's latency and batch size, how long the oldest event of
 * each batch waited from its creation to being stored, failed commits, events committed, and
 * the queue's depth against its capacity. Recorded by wrapping the log's
 * {@link EventLog.Sink}, so the log itself knows nothing of metrics; one record per batch.
 */
public final class EventLogMetrics {
    private final MeterRegistry registry;
    private final Timer commit;
    private final Timer storedLag;
    private final DistributionSummary batchSize;
    private final Counter failures;
    private final Counter committed;

    EventLogMetrics(MeterRegistry registry) {
        this.registry = registry;
        commit = Timer.builder("stepstream.eventlog.commit")
                .description("Time to store one batch of events (one transaction)")
                .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000),
                        ms(5000))
                .register(registry);
        storedLag = Timer.builder("stepstream.eventlog.stored.lag")
                .description("From the time of the oldest event of a batch (when its run emitted it) to the batch's commit")
                .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000),
                        ms(5000))
                .register(registry);
        batchSize = DistributionSummary.builder("stepstream.eventlog.batch.size")
                .baseUnit("events")
                .description("Events stored per commit")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
                .register(registry);
        failures = Counter.builder("stepstream.eventlog.commit.failures")
                .description("Commits that failed (the store was down, or rejected the batch); they are retried")
                .register(registry);
        committed = Counter.builder("stepstream.events.committed").description("Events stored").register(registry);
    }

    /** {@code sink}, timed: every call records its latency and batch size, or a failure. */
    public EventLog.Sink timed(EventLog.Sink sink) {
        return batch -> {
            long started = System.nanoTime();
            try {
                sink.commit(batch);
            } catch (RuntimeException e) {
                failures.increment();
                throw e;
            }
            commit.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (!batch.isEmpty()) {
                // The batch is in queue order, so its first event waited longest.
                storedLag.record(Math.max(0, System.currentTimeMillis() - batch.get(0).time().toEpochMilli()),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            batchSize.record(batch.size());
            committed.increment(batch.size());
        };
    }

    /** Publishes the queue's depth (read at each scrape) and its capacity. */
    public void queue(IntSupplier depth, int capacity) {
        Gauge.builder("stepstream.eventlog.queue.depth", depth::getAsInt)
                .description("Events waiting to be stored; producers block when it reaches the capacity").register(registry);
        Gauge.builder("stepstream.eventlog.queue.capacity", () -> capacity)
                .description("Events the queue holds before producers block").register(registry);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
