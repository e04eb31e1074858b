package dev.stepstream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store's disk and what retention does to it (docs/operations.md, "Disk"): runs deleted,
 * by reason ({@code retention}: the sweeper; {@code request}: {@code DELETE} of a run), bytes
 * given back to the file system, and the store's size as last measured. The size is sampled
 * by the sweeper (after each pass, once a minute), not at scrape time: a scrape reads no store.
 * Thread-safe.
 */
public final class StoreMetrics {
    private final Counter deletedByRetention;
    private final Counter deletedByRequest;
    private final Counter reclaimed;
    private final Counter passes;
    private final AtomicLong size = new AtomicLong();
    private final AtomicLong reclaimable = new AtomicLong();

    StoreMetrics(MeterRegistry registry) {
        deletedByRetention = deleted(registry, "retention");
        deletedByRequest = deleted(registry, "request");
        reclaimed = Counter.builder("stepstream.store.reclaimed").baseUnit("bytes")
                .description("Bytes of the SQLite file given back to the file system after deletions (0 on PostgreSQL)")
                .register(registry);
        passes = Counter.builder("stepstream.retention.passes")
                .description("Passes of the retention sweeper that ended (one a minute; a stalled count means a stuck sweeper)")
                .register(registry);
        Gauge.builder("stepstream.store.size", size, AtomicLong::get).baseUnit("bytes")
                .description("The store's size on disk: the SQLite file and its WAL, or stepstream's PostgreSQL tables with"
                        + " their indexes; sampled once a minute")
                .register(registry);
        Gauge.builder("stepstream.store.reclaimable", reclaimable, AtomicLong::get).baseUnit("bytes")
                .description("Free space inside the SQLite file not yet given back (0 on PostgreSQL); sampled once a minute")
                .register(registry);
    }

    private static Counter deleted(MeterRegistry registry, String reason) {
        return Counter.builder("stepstream.runs.deleted").description("Finished runs deleted, by reason: retention or request")
                .tag("reason", reason).register(registry);
    }

    /** One run deleted by the sweeper. */
    public void deletedByRetention() {
        deletedByRetention.increment();
    }

    /** One run deleted on request ({@code DELETE /api/v2/workflows/runs/{runId}}). */
    public void deletedByRequest() {
        deletedByRequest.increment();
    }

    /** Bytes given back to the file system. */
    public void reclaimed(long bytes) {
        reclaimed.increment(bytes);
    }

    /** A pass of the sweeper ended. */
    public void passed() {
        passes.increment();
    }

    /** The store's size as just measured. */
    public void usage(long sizeBytes, long reclaimableBytes) {
        size.set(sizeBytes);
        reclaimable.set(reclaimableBytes);
    }
}
