package dev.stepstream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What counting one stream write costs, from four threads at once (a server's four event loops
 * writing one event's fan-out): the writes, events and bytes counters and a delivery lag sample.
 * <ul>
 *   <li>{@code micrometer}: three shared Micrometer counters and a timer with the lag's
 *       service-level objectives, as each write was counted before;</li>
 *   <li>{@code tally}: the writing thread's cell of a {@link WriteTally}, as now.</li>
 * </ul>
 * Run with {@code -t} below 4 to see how much of the first is the threads' contention.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(4)
@State(Scope.Benchmark)
public class WriteMeterBench {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter writes = Counter.builder("writes").register(registry);
    private final Counter events = Counter.builder("events").register(registry);
    private final Counter bytes = Counter.builder("bytes").register(registry);
    private final Timer lag = Timer.builder("lag")
            .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500),
                    ms(1000), ms(2500), ms(5000), ms(10_000))
            .register(registry);
    private final WriteTally tally = new WriteTally();

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    @Benchmark
    public void micrometer() {
        long now = System.currentTimeMillis();
        writes.increment();
        events.increment(1);
        bytes.increment(200);
        lag.record(12 + (now & 7), TimeUnit.MILLISECONDS);
    }

    @Benchmark
    public void tally() {
        long now = System.currentTimeMillis();
        tally.cellOf(Thread.currentThread()).wrote(1, 200, 12 + (now & 7), now);
    }
}
