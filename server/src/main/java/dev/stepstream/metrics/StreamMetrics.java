package dev.stepstream.metrics;

import dev.stepstream.events.RunEvent;
import dev.stepstream.logging.Redaction;
import dev.stepstream.metrics.WriteTally.Totals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream connections' meters, and their log line. A connection gets a {@link Connection}
 * when it opens; its sink reports each write and close through it, and its close handler ends
 * it, which logs one line (who, what, how long, close code, what was sent).
 *
 * <p>Hot path: a write costs one pass over the events just written (summing their sizes, no
 * allocation) and a few plain stores in its thread's cell of a {@link WriteTally}; delivery lag
 * is one histogram sample per write, in the same cell.
 *
 * <p>Threads: a {@link Connection} is used on its connection's event loop only, which owns its
 * fields. The meters themselves are safe from any thread; a tally's cell is its thread's.
 */
public final class StreamMetrics {
    private static final Logger access = LoggerFactory.getLogger("stepstream.access");

    /** What a connection follows, and over what. */
    public enum Kind {
        RUN_WEBSOCKET("websocket", "run"), RUN_SSE("sse", "run"), ALL_RUNS("websocket", "all_runs");

        final String transport;
        final String stream;

        Kind(String transport, String stream) {
            this.transport = transport;
            this.stream = stream;
        }
    }

    /** The close codes counted by code; any other is counted as {@code other}, a drop without a close as {@code none}. */
    private static final int[] CODES = {1000, 1001, 1008, 1009, 1011, 1013};
    private static final int ABNORMAL = 1006;

    private final KindMeters[] kinds = new KindMeters[Kind.values().length];
    private final Counter historyReads;
    private final Counter historyEvents;
    private final DistributionSummary subscribersPerRun;
    private final AtomicLong runsFollowed = new AtomicLong();
    private volatile Consumer<IntConsumer> subscriberCounts = each -> { };
    private volatile LongSupplier historyKept = () -> 0;

    StreamMetrics(PrometheusMeterRegistry registry) {
        for (Kind kind : Kind.values()) {
            kinds[kind.ordinal()] = new KindMeters(registry, kind);
        }
        registry.getPrometheusRegistry().register((MultiCollector) this::deliveryLag);
        historyReads = Counter.builder("stepstream.stream.history.reads")
                .description("Pages of history read from the store for streams (catch-ups behind the ring)").register(registry);
        historyEvents = Counter.builder("stepstream.stream.history.events")
                .description("Events read from the store for streams").register(registry);
        subscribersPerRun = DistributionSummary.builder("stepstream.stream.subscribers.per.run")
                .description("Subscribers of each followed run, sampled at each scrape")
                .serviceLevelObjectives(1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000)
                .register(registry);
        Gauge.builder("stepstream.stream.runs.followed", runsFollowed, AtomicLong::get)
                .description("Runs with at least one subscriber on this node, at the last scrape").register(registry);
        Gauge.builder("stepstream.stream.history.kept", this, metrics -> metrics.historyKept.getAsLong())
                .strongReference(true).baseUnit("bytes")
                .description("Memory held by the pages of history kept for streams to share").register(registry);
    }

    /** Where the history pages kept for streams say what they hold (the streams' history), once at wiring. */
    public void historyKept(LongSupplier source) {
        this.historyKept = source;
    }

    /**
     * Where {@link #sample} reads each followed run's subscriber count from (the hub), once at
     * wiring.
     */
    public void subscriberCounts(Consumer<IntConsumer> source) {
        this.subscriberCounts = source;
    }

    /** Samples subscribers per run; called before each scrape. */
    void sample() {
        long[] runs = new long[1];
        subscriberCounts.accept(count -> {
            runs[0]++;
            subscribersPerRun.record(count);
        });
        runsFollowed.set(runs[0]);
    }

    /** A page of {@code events} events was read from the store for a stream. */
    public void historyRead(int events) {
        historyReads.increment();
        historyEvents.increment(events);
    }

    /**
     * A stream connection opened (the upgrade succeeded, or the SSE response began).
     *
     * @param who     the client (its address, and its principal when it has one)
     * @param what    the request, as {@code METHOD URI}; redacted here
     * @param resumed it asked for events after a seq ({@code after} or {@code Last-Event-ID} above 0)
     */
    public Connection opened(Kind kind, String who, String what, boolean resumed) {
        KindMeters meters = kinds[kind.ordinal()];
        meters.opened.increment();
        meters.open.incrementAndGet();
        if (resumed) {
            meters.resumes.increment();
        }
        return new Connection(meters, who, Redaction.text(what));
    }

    /** One connection's view of the meters, and what its log line will say. Event loop only. */
    public static final class Connection {
        private final KindMeters meters;
        private final String who;
        private final String what;
        private final long openedNanos = System.nanoTime();
        /** Events created before this instant are history to this connection: their lag is not delivery lag. */
        private final long openedMillis = System.currentTimeMillis();
        private long events;
        private long bytes;
        /** Where this connection's writes are counted: the cell of the thread that writes them. */
        private WriteTally.Cell cell;
        private int closeSent;  // 0 until the server sent a close
        private boolean gone;

        private Connection(KindMeters meters, String who, String what) {
            this.meters = meters;
            this.who = who;
            this.what = what;
        }

        /**
         * {@code written} was just written to the socket, in one write. Counts the events and
         * their bytes, and records the delivery lag of the oldest event in it that was created
         * while this connection was open (older events are history being caught up on).
         */
        public void sent(List<RunEvent> written) {
            int count = written.size();
            long size = 0;
            for (int i = 0; i < count; i++) {
                size += written.get(i).json().length;
            }
            events += count;
            bytes += size;
            long lagMillis = -1;
            long now = 0;
            // Events are in seq order, so in time order: if the newest is history, all are.
            if (count > 0 && written.get(count - 1).time().toEpochMilli() >= openedMillis) {
                now = System.currentTimeMillis();
                lagMillis = Math.max(0, now - oldestLive(written));
            }
            cell().wrote(count, size, lagMillis, now);
        }

        /** The writing thread's cell of the tally: this connection's event loop's, looked up once. */
        private WriteTally.Cell cell() {
            Thread thread = Thread.currentThread();
            WriteTally.Cell mine = cell;
            if (mine == null || mine.owner != thread) {
                mine = meters.tally.cellOf(thread);
                cell = mine;
            }
            return mine;
        }

        /** The time of the first event created since this connection opened (the last one is). */
        private long oldestLive(List<RunEvent> written) {
            for (int i = 0; ; i++) {
                long created = written.get(i).time().toEpochMilli();
                if (created >= openedMillis) {
                    return created;
                }
            }
        }

        /** One envelope of {@code size} bytes was written on the all-runs stream. */
        public void sentItem(int size) {
            events++;
            bytes += size;
            cell().wrote(1, size, -1, 0);
        }

        /** The socket's write queue was full: the connection waits for it to drain. */
        public void stalled() {
            meters.stalls.increment();
        }

        /** The server sent a close with {@code code} (for SSE: ended or cut the response). */
        public void closeSent(int code) {
            if (closeSent == 0 && !gone) {
                closeSent = code;
                meters.serverCloses[codeIndex(code)].increment();
            }
        }

        /**
         * The connection is gone. If the server had not sent a close, the client closed it, with
         * {@code clientCode} (null or 1006: no close frame, a drop, or an SSE client that went away).
         * Logs the connection's line. Idempotent.
         */
        public void gone(Integer clientCode) {
            if (gone) {
                return;
            }
            gone = true;
            long nanos = System.nanoTime() - openedNanos;
            meters.duration.record(nanos, TimeUnit.NANOSECONDS);
            String close;
            if (closeSent != 0) {
                close = closeSent + " by server";
            } else {
                // 1006 is no code on the wire: the close that a library reports for a dropped connection.
                boolean dropped = clientCode == null || clientCode == ABNORMAL;
                meters.clientCloses[dropped ? CODES.length + 1 : codeIndex(clientCode)].increment();
                close = (dropped ? "none" : clientCode.toString()) + " by client";
            }
            // Last, so that a scrape that sees the connection gone sees how it ended, too.
            meters.open.decrementAndGet();
            long millis = nanos / 1_000_000;
            access.atInfo()
                    .addKeyValue("kind", "stream")
                    .addKeyValue("transport", meters.kind.transport)
                    .addKeyValue("stream", meters.kind.stream)
                    .addKeyValue("client", who)
                    .addKeyValue("request", what)
                    .addKeyValue("durationMs", millis)
                    .addKeyValue("close", close)
                    .addKeyValue("events", events)
                    .addKeyValue("bytes", bytes)
                    .log("{} {} {} ms, close {}, {} events, {} bytes ({} {})", who, what, millis, close, events, bytes,
                            meters.kind.transport, meters.kind.stream.replace('_', '-'));
        }
    }

    private static final String LAG = "stepstream_stream_delivery_lag_seconds";
    private static final String LAG_HELP = "From an event's time (when its run emitted it) to its write on a socket that was open then";
    private static final double[] LAG_BOUNDS_SECONDS = new double[WriteTally.LAG_BOUNDS_MILLIS.length + 1];

    static {
        for (int i = 0; i < WriteTally.LAG_BOUNDS_MILLIS.length; i++) {
            LAG_BOUNDS_SECONDS[i] = WriteTally.LAG_BOUNDS_MILLIS[i] / 1000.0;
        }
        LAG_BOUNDS_SECONDS[WriteTally.LAG_BOUNDS_MILLIS.length] = Double.POSITIVE_INFINITY;
    }

    /**
     * The delivery lag histogram of each kind, and its max, as a Micrometer timer with these
     * service-level objectives exposed them (the same names, labels and buckets), from the tallies.
     */
    private MetricSnapshots deliveryLag() {
        HistogramSnapshot.Builder histogram = HistogramSnapshot.builder().name(LAG).help(LAG_HELP);
        GaugeSnapshot.Builder max = GaugeSnapshot.builder().name(LAG + "_max").help(LAG_HELP);
        for (KindMeters meters : kinds) {
            Totals totals = meters.tally.totals();
            Labels labels = Labels.of("stream", meters.kind.stream, "transport", meters.kind.transport);
            histogram.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(LAG_BOUNDS_SECONDS, totals.bucketCounts()))
                    .sum(totals.lagSumMillis() / 1000.0)
                    .labels(labels)
                    .build());
            max.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(totals.maxMillis() / 1000.0).labels(labels).build());
        }
        return new MetricSnapshots(histogram.build(), max.build());
    }

    private static int codeIndex(int code) {
        for (int i = 0; i < CODES.length; i++) {
            if (CODES[i] == code) {
                return i;
            }
        }
        return CODES.length; // other
    }

    /** The meters of one kind of connection, resolved once. */
    private static final class KindMeters {
        final Kind kind;
        final AtomicLong open = new AtomicLong();
        final Counter opened;
        final Counter resumes;
        /** Writes, events and bytes written, and each write's delivery lag. */
        final WriteTally tally = new WriteTally();
        final Counter stalls;
        final Timer duration;
        final Counter[] serverCloses = new Counter[CODES.length + 1];
        final Counter[] clientCloses = new Counter[CODES.length + 2];

        KindMeters(MeterRegistry registry, Kind kind) {
            this.kind = kind;
            String transport = kind.transport;
            String stream = kind.stream;
            Gauge.builder("stepstream.stream.connections.open", open, AtomicLong::get)
                    .description("Stream connections open now").tags("transport", transport, "stream", stream).register(registry);
            opened = counter(registry, "stepstream.stream.connections.opened", "Stream connections opened", transport, stream);
            resumes = counter(registry, "stepstream.stream.resumes", "Streams opened with after (or Last-Event-ID) above 0",
                    transport, stream);
            tallied(registry, "stepstream.stream.writes", "Writes to stream sockets (a frame, or a batch of frames)",
                    Totals::writes);
            tallied(registry, "stepstream.stream.events.delivered", "Events written to stream sockets", Totals::events);
            tallied(registry, "stepstream.stream.bytes.sent", "Bytes of events written to stream sockets", Totals::bytes);
            stalls = counter(registry, "stepstream.stream.write.queue.full",
                    "Times a stream socket's write queue was full and its writer waited for it to drain", transport, stream);
            duration = Timer.builder("stepstream.stream.connection.duration")
                    .description("How long stream connections stayed open")
                    .tags("transport", transport, "stream", stream)
                    .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
                            Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(6))
                    .register(registry);
            for (int i = 0; i < CODES.length + 2; i++) {
                String code = i < CODES.length ? Integer.toString(CODES[i]) : i == CODES.length ? "other" : "none";
                if (i < serverCloses.length) {
                    serverCloses[i] = closes(registry, transport, stream, "server", code);
                }
                clientCloses[i] = closes(registry, transport, stream, "client", code);
            }
        }

        private static Counter closes(MeterRegistry registry, String transport, String stream, String by, String code) {
            return Counter.builder("stepstream.stream.closes")
                    .description("Stream connections closed, by who closed them and the close code")
                    .tags("transport", transport, "stream", stream, "by", by, "code", code)
                    .register(registry);
        }

        /** A counter of the tally's, read from its cells at each scrape. */
        private void tallied(MeterRegistry registry, String name, String description, ToLongFunction<Totals> figure) {
            FunctionCounter.builder(name, tally, tally -> figure.applyAsLong(tally.totals()))
                    .description(description).tags("transport", kind.transport, "stream", kind.stream).register(registry);
        }

        private static Counter counter(MeterRegistry registry, String name, String description, String transport, String stream) {
            return Counter.builder(name).description(description).tags("transport", transport, "stream", stream).register(registry);
        }

        private static Duration ms(long millis) {
            return Duration.ofMillis(millis);
        }
    }
}
