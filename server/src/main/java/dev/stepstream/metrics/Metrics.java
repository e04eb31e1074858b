package dev.stepstream.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * One node's meters, in one Prometheus registry, and the parts that record them: the streams
 * ({@link StreamMetrics}), the event log ({@link EventLogMetrics}), runs and steps
 * ({@link RunMetrics}), the broker ({@link BrokerMetrics}), the HTTP requests
 * ({@link HttpMetrics}), webhook deliveries ({@link HookMetrics}), the store's disk and
 * retention ({@link StoreMetrics}), and the JVM and process.
 * docs/operations.md lists every meter.
 *
 * <p>Cardinality stays bounded: no label carries a run id, a workflow id or a client; labels
 * take values from small fixed sets (transport, close code, run status, step type, route
 * template, HTTP status, webhook outcome).
 *
 * <p>Threads: every part may be called from any thread. Meters are created up front, so the
 * recording calls of the hot path look nothing up and allocate nothing. {@link #scrape} runs
 * the samplers first (on the scraping thread; it blocks nothing of the event loops).
 */
public final class Metrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final StreamMetrics streams;
    private final EventLogMetrics eventLog;
    private final RunMetrics runs;
    private final BrokerMetrics broker;
    private final HttpMetrics http;
    private final HookMetrics hooks;
    private final StoreMetrics store;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();
    /** Called before each scrape, for figures sampled rather than counted (subscribers per run). */
    private final List<Runnable> samplers = new CopyOnWriteArrayList<>();

    public Metrics(String version) {
        for (MeterBinder binder : List.<MeterBinder>of(new JvmMemoryMetrics(), gc, heapPressure, new JvmThreadMetrics(),
                new ClassLoaderMetrics(), new JvmInfoMetrics(), new ProcessorMetrics(), new UptimeMetrics(),
                new FileDescriptorMetrics())) {
            binder.bindTo(registry);
        }
        Gauge.builder("stepstream.build.info", () -> 1).description("The running version of stepstream")
                .tag("version", version).register(registry);
        // Netty's buffers (sockets' reads and writes) are direct memory that the JDK's own count
        // (jvm_buffer_memory_used_bytes{id="direct"}) does not see; Netty counts them itself.
        Gauge.builder("stepstream.netty.direct.memory", PlatformDependent::usedDirectMemory).baseUnit("bytes")
                .description("Direct memory Netty holds for its buffers (-1 when it does not count it)").register(registry);
        this.streams = new StreamMetrics(registry);
        this.eventLog = new EventLogMetrics(registry);
        this.runs = new RunMetrics(registry);
        this.broker = new BrokerMetrics(registry);
        this.http = new HttpMetrics(registry);
        this.hooks = new HookMetrics(registry);
        this.store = new StoreMetrics(registry);
        samplers.add(streams::sample);
    }

    public StreamMetrics streams() {
        return streams;
    }

    public EventLogMetrics eventLog() {
        return eventLog;
    }

    public RunMetrics runs() {
        return runs;
    }

    public BrokerMetrics broker() {
        return broker;
    }

    public HttpMetrics http() {
        return http;
    }

    public HookMetrics hooks() {
        return hooks;
    }

    public StoreMetrics store() {
        return store;
    }

    /** The registry, for parts that bind meters of their own (a connection pool, a broker client). */
    public MeterRegistry registry() {
        return registry;
    }

    /** A gauge read at each scrape, for figures other parts already keep (a queue's depth). */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /** The Prometheus text exposition of every meter. Reads no store; cheap, but not free: call it off an event loop. */
    public String scrape() {
        samplers.forEach(Runnable::run);
        return registry.scrape();
    }

    /** The content type of {@link #scrape}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    @Override
    public void close() {
        gc.close();
        heapPressure.close();
        registry.close();
    }
}
