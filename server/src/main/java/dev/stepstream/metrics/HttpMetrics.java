package dev.stepstream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * HTTP requests by method, route template ({@code /api/v2/workflows/runs/{runId}}, never the
 * path itself, so that the label set stays bounded) and status; for error rates and latency.
 * And the requests the security edge refused, by reason (an error code of docs/security.md:
 * {@code invalid_token}, {@code rate_limited}, …, a small fixed set), to see brute force and
 * floods.
 */
public final class HttpMetrics {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    private final MeterRegistry registry;

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * One answered request.
     * @param route the template of the route that answered it, or null when none matched
     */
    public void request(String method, String route, int status, long nanos) {
        Timer.builder("stepstream.http.requests")
                .description("HTTP requests answered, by method, route and status")
                .tags("method", METHODS.contains(method) ? method : "other",
                        "route", route == null ? "unmatched" : route,
                        "status", Integer.toString(status))
                .serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
                        Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One request refused by the security edge, for {@code reason} (the error's code); counted besides {@link #request}. */
    public void refused(String reason) {
        Counter.builder("stepstream.http.refused")
                .description("HTTP requests the security edge refused (401, 403, 429, 503 ...), by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }
}
