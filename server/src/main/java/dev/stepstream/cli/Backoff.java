package dev.stepstream.cli;

import java.time.Duration;

/**
 * Paces one streak of failed reconnection attempts: {@link #FIRST} before the first, doubling
 * up to {@link #MAX}, and no more attempts once {@link #GIVE_UP_AFTER} has passed since the
 * streak began. Times are {@link System#nanoTime} values passed in, so that it holds no clock.
 */
final class Backoff {
    static final Duration FIRST = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(2);
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(30);

    private final long deadline;
    private Duration next = FIRST;
    private int attempts;

    Backoff(long startNanos) {
        this.deadline = startNanos + GIVE_UP_AFTER.toNanos();
    }

    /** How many pauses were handed out so far. */
    int attempts() {
        return attempts;
    }

    /**
     * The pause before the next attempt, at least {@code hint} (a server's Retry-After) when
     * given, never past the deadline; null once the deadline has passed.
     */
    Duration next(long nowNanos, Duration hint) {
        long left = deadline - nowNanos;
        if (left <= 0) {
            return null;
        }
        Duration pause = hint != null && hint.compareTo(next) > 0 ? hint : next;
        next = next.multipliedBy(2).compareTo(MAX) > 0 ? MAX : next.multipliedBy(2);
        attempts++;
        return pause.toNanos() > left ? Duration.ofNanos(left) : pause;
    }
}
