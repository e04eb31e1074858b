package dev.stepstream.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How to watch the all-runs stream: which runs, how to pace reconnections. Immutable; each
 * method returns a copy with one thing changed: {@code WatchOptions.DEFAULTS.workflowId("deploy")}.
 *
 * @param workflowId only the runs of this workflow, or null for every run
 * @param backoffBase the first reconnection waits up to this long; each next one up to twice the last
 * @param backoffCap no wait is longer than this, apart from a server's {@code Retry-After}
 * @param giveUpAfter fail with {@link StepstreamException.Kind#UNAVAILABLE} after this long without
 *     a usable connection: one that brought a message, or stayed open 5 s without going silent
 * @param listener told of each reconnection
 */
public record WatchOptions(String workflowId, Duration backoffBase, Duration backoffCap, Duration giveUpAfter,
        WatchListener listener) {
    /** Every run, reconnecting as a follow does by default: waits from 250 ms up to 10 s, giving up after 5 minutes. */
    public static final WatchOptions DEFAULTS = new WatchOptions(null, FollowOptions.DEFAULTS.backoffBase(),
            FollowOptions.DEFAULTS.backoffCap(), FollowOptions.DEFAULTS.giveUpAfter(), new WatchListener() {});

    public WatchOptions {
        Reconnector.checkBackoff(backoffBase, backoffCap, giveUpAfter);
        Objects.requireNonNull(listener, "listener");
    }

    public WatchOptions workflowId(String id) {
        return new WatchOptions(id, backoffBase, backoffCap, giveUpAfter, listener);
    }

    public WatchOptions backoff(Duration base, Duration cap) {
        return new WatchOptions(workflowId, base, cap, giveUpAfter, listener);
    }

    public WatchOptions giveUpAfter(Duration limit) {
        return new WatchOptions(workflowId, backoffBase, backoffCap, limit, listener);
    }

    public WatchOptions listener(WatchListener told) {
        return new WatchOptions(workflowId, backoffBase, backoffCap, giveUpAfter, told);
    }
}
