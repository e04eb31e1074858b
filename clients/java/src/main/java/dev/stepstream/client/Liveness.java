package dev.stepstream.client;

import java.time.Duration;

/**
 * The times that say whether a stream's connection is alive and of use (docs/clients.md, the
 * client libraries' common rule): one quiet for {@code quiet} is pinged; one silent for
 * {@code deadAfter}, a ping unanswered, is lost ({@link Connection}); one that stayed open
 * {@code steady} without going silent was usable, though it brought no message
 * ({@link Reconnector}). Fixed for every client; tests shorten them, keeping their order.
 */
record Liveness(Duration steady, Duration quiet, Duration deadAfter) {
    static final Liveness DEFAULT = new Liveness(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(45));

    Liveness {
        if (!(steady.isPositive() && quiet.compareTo(steady) > 0 && deadAfter.compareTo(quiet) > 0)) {
            throw new IllegalArgumentException("liveness: expected 0 < steady < quiet < deadAfter, got " + steady + ", " + quiet
                    + ", " + deadAfter);
        }
    }
}
