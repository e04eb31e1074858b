package dev.stepstream.security;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One token bucket (Bucket4j) per client for one kind of request: {@code rate.permits()} at
 * once, refilled smoothly over {@code rate.period()}.
 *
 * <p>Bounded: a bucket that has refilled completely holds no information and is dropped by
 * {@link #sweep}; past {@link #MAX_CLIENTS} clients, new ones share one overflow bucket, so an
 * attacker with many addresses throttles only the other newcomers, never the known clients.
 * Thread-safe: buckets are lock-free, the map is concurrent.
 */
final class RateLimits {
    static final int MAX_CLIENTS = 100_000;

    private final SecuritySettings.Rate rate;
    private final TimeMeter time;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Bucket overflow;

    /** Buckets that refill by {@code clock}'s time: the server's, or a test's that it moves by hand. */
    RateLimits(SecuritySettings.Rate rate, Clock clock) {
        this.rate = rate;
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        this.overflow = newBucket();
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(rate.permits()).refillGreedy(rate.permits(), rate.period()))
                .withCustomTimePrecision(time)
                .build();
    }

    /** Takes one permit for {@code client}: 0 when granted, else the whole seconds to wait (at least 1). */
    long acquire(String client) {
        Bucket bucket = buckets.get(client);
        if (bucket == null) {
            bucket = buckets.size() >= MAX_CLIENTS ? overflow : buckets.computeIfAbsent(client, ignored -> newBucket());
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        return Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }

    /** Drops the buckets that are full again: their clients have been quiet for a whole period. */
    void sweep() {
        buckets.values().removeIf(bucket -> bucket.getAvailableTokens() >= rate.permits());
    }

    int clients() {
        return buckets.size();
    }
}
