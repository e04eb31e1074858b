package dev.stepstream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Webhook deliveries ({@code POST /api/v2/hooks/…}) by outcome: {@code accepted} (a run was
 * queued) or the error code it was refused with, from the fixed set {@link #OUTCOMES}
 * ({@code other} for any code not in it). Never a workflow or trigger id: the label set stays
 * bounded whatever callers send. Thread-safe; the counters are created up front.
 */
public final class HookMetrics {
    /** Every outcome label, {@code other} last. */
    public static final List<String> OUTCOMES = List.of("accepted", "hook_not_found", "invalid_signature", "unauthenticated",
            "invalid_token", "forbidden", "invalid_json", "invalid_inputs", "body_too_large", "secrets_unavailable",
            "over_capacity", "store_unavailable", "other");

    private final Map<String, Counter> counters = new LinkedHashMap<>();

    HookMetrics(MeterRegistry registry) {
        for (String outcome : OUTCOMES) {
            counters.put(outcome, Counter.builder("stepstream.hooks")
                    .description("Webhook deliveries, by outcome: accepted, or the error code of the refusal")
                    .tag("outcome", outcome)
                    .register(registry));
        }
    }

    /** One delivery that ended as {@code outcome}: {@code accepted} or an error code. */
    public void delivered(String outcome) {
        counters.getOrDefault(outcome, counters.get("other")).increment();
    }
}
