package dev.stepstream.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to follow a run: where to start, which events, how to pace reconnections. Immutable;
 * each method returns a copy with one thing changed:
 * {@code FollowOptions.DEFAULTS.after(41).types("step_log").minLevel("warn")}.
 *
 * @param after yield only events with a greater seq (0: the whole run)
 * @param types the event types to receive (empty: all)
 * @param steps the step ids whose step events to receive (empty: all; run events always come)
 * @param minLevel the lowest {@code step_log} level ({@code debug}, {@code info}, {@code warn},
 *     {@code error}), or null for all
 * @param backoffBase the first reconnection waits up to this long; each next one up to twice the last
 * @param backoffCap no wait is longer than this, apart from a server's {@code Retry-After}
 * @param giveUpAfter fail with {@link StepstreamException.Kind#UNAVAILABLE} after this long without
 *     a usable connection: one that brought a message, or stayed open 5 s without going silent
 * @param listener told of each reconnection
 */
public record FollowOptions(long after, List<String> types, List<String> steps, String minLevel,
        Duration backoffBase, Duration backoffCap, Duration giveUpAfter, FollowListener listener) {
    /** The whole run, every event, waits from 250 ms up to 10 s, giving up after 5 minutes without a connection. */
    public static final FollowOptions DEFAULTS = new FollowOptions(0, List.of(), List.of(), null,
            Duration.ofMillis(250), Duration.ofSeconds(10), Duration.ofMinutes(5), new FollowListener() {});

    public FollowOptions {
        if (after < 0) {
            throw new IllegalArgumentException("after: expected a seq of 0 or more, got " + after);
        }
        types = List.copyOf(types);
        steps = List.copyOf(steps);
        Reconnector.checkBackoff(backoffBase, backoffCap, giveUpAfter);
        Objects.requireNonNull(listener, "listener");
    }

    public FollowOptions after(long seq) {
        return new FollowOptions(seq, types, steps, minLevel, backoffBase, backoffCap, giveUpAfter, listener);
    }

    public FollowOptions types(String... eventTypes) {
        return new FollowOptions(after, List.of(eventTypes), steps, minLevel, backoffBase, backoffCap, giveUpAfter, listener);
    }

    public FollowOptions steps(String... stepIds) {
        return new FollowOptions(after, types, List.of(stepIds), minLevel, backoffBase, backoffCap, giveUpAfter, listener);
    }

    public FollowOptions minLevel(String level) {
        return new FollowOptions(after, types, steps, level, backoffBase, backoffCap, giveUpAfter, listener);
    }

    public FollowOptions backoff(Duration base, Duration cap) {
        return new FollowOptions(after, types, steps, minLevel, base, cap, giveUpAfter, listener);
    }

    public FollowOptions giveUpAfter(Duration limit) {
        return new FollowOptions(after, types, steps, minLevel, backoffBase, backoffCap, limit, listener);
    }

    public FollowOptions listener(FollowListener told) {
        return new FollowOptions(after, types, steps, minLevel, backoffBase, backoffCap, giveUpAfter, told);
    }
}
