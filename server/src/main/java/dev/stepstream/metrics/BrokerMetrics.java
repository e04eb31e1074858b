package dev.stepstream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The broker's meters (DESIGN.md "Parts and their seams"): publishes that failed, and gaps in
 * a run's seq series that a node repaired from the store. A broker takes this through its
 * constructor and calls it where those happen; with the in-process broker both stay at zero.
 * Safe from any thread.
 */
public final class BrokerMetrics {
    private final Counter publishFailures;
    private final Counter gapRepairs;
    private final Counter gapEvents;

    BrokerMetrics(MeterRegistry registry) {
        publishFailures = Counter.builder("stepstream.broker.publish.failures")
                .description("Batches of committed events the broker failed to publish").register(registry);
        gapRepairs = Counter.builder("stepstream.broker.gap.repairs")
                .description("Gaps in a run's events, heard from the broker, that were filled from the store").register(registry);
        gapEvents = Counter.builder("stepstream.broker.gap.repaired.events")
                .description("Events read from the store to fill those gaps").register(registry);
    }

    /** A publish to the broker failed. */
    public void publishFailed() {
        publishFailures.increment();
    }

    /** A gap of {@code events} events was filled from the store. */
    public void gapRepaired(long events) {
        gapRepairs.increment();
        gapEvents.increment(events);
    }
}
