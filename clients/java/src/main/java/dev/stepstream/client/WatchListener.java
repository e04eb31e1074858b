package dev.stepstream.client;

import java.time.Duration;

/**
 * Told what a {@link RunWatch} does between items, to say it to a person. Called on the thread
 * that iterates the watch; keep it short. An exception it throws ends the watch (the connection
 * is let go) and comes out of {@link RunWatch#hasNext()}: a listener can decide that a failure
 * is final.
 */
public interface WatchListener {
    /**
     * The connection ended, or could not be made, and the watch will connect again after
     * {@code pause} (and then yield {@code connected}).
     *
     * @param reason what happened, in words ("closed with 1013: fell behind the run feed", "connection refused")
     * @param attempt 1 for the first try of a streak of failed ones, then 2, 3…
     * @param wasConnected whether the connection that ended had opened (else it was refused or unreachable)
     * @param pause how long the watch waits before it tries
     */
    default void reconnecting(String reason, int attempt, boolean wasConnected, Duration pause) {}
}
