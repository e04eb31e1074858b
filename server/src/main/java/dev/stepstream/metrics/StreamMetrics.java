package dev.stepstream.metrics;

import dev.stepstream.events.RunEvent;
import dev.stepstream.logging.Redaction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream connections' meters, and their log line. A connection gets a {@link Connection}
 * when it opens; its sink reports each write and close through it, and its close handler ends
 * it, which logs one line (who, what, how long, close code, what was sent).
 *
 * <p>Hot path: a write costs one pass over the events just written (summing their sizes, no
 * allocation) and a few adder increments; delivery lag is one histogram sample per write.
 *
 * <p>Threads: a {@link Connection} is used on its connection's event loop only, which owns its
 * fields. The meters themselves are safe from any thread.
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

    StreamMetrics(MeterRegistry registry) {
        for (Kind kind : Kind.values()) {
            kinds[kind.ordinal()] = new KindMeters(registry, kind);
        }
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
            meters.writes.increment();
            meters.delivered.increment(count);
            meters.bytes.increment(size);
            // Events are in seq order, so in time order: if the newest is history, all are.
            if (count > 0 && written.get(count - 1).time().toEpochMilli() >= openedMillis) {
                long oldestLive = oldestLive(written);
                meters.lag.record(Math.max(0, System.currentTimeMillis() - oldestLive), TimeUnit.MILLISECONDS);
            }
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
            meters.writes.increment();
            meters.delivered.increment();
            meters.bytes.increment(size);
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
        final Counter writes;
        final Counter delivered;
        final Counter bytes;
        final Counter stalls;
        final Timer lag;
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
            writes = counter(registry, "stepstream.stream.writes", "Writes to stream sockets (a frame, or a batch of frames)",
                    transport, stream);
            delivered = counter(registry, "stepstream.stream.events.delivered", "Events written to stream sockets",
                    transport, stream);
            bytes = counter(registry, "stepstream.stream.bytes.sent", "Bytes of events written to stream sockets",
                    transport, stream);
            stalls = counter(registry, "stepstream.stream.write.queue.full",
                    "Times a stream socket's write queue was full and its writer waited for it to drain", transport, stream);
            lag = Timer.builder("stepstream.stream.delivery.lag")
                    .description("From an event's time (when its run emitted it) to its write on a socket that was open then")
                    .tags("transport", transport, "stream", stream)
                    .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500),
                            ms(1000), ms(2500), ms(5000), ms(10_000))
                    .register(registry);
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

        private static Counter counter(MeterRegistry registry, String name, String description, String transport, String stream) {
            return Counter.builder(name).description(description).tags("transport", transport, "stream", stream).register(registry);
        }

        private static Duration ms(long millis) {
            return Duration.ofMillis(millis);
        }
    }
}
