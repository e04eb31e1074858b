package dev.stepstream.client;

import java.time.Duration;

/**
 * Told what a {@link Follow} does between events, to say it to a person (the CLI prints one
 * line per reconnection). Called on the thread that iterates the follow; keep it short. An
 * exception it throws ends the follow (the connection is let go) and comes out of
 * {@link Follow#hasNext()}: a listener can decide that a failure is final.
 */
public interface FollowListener {
    /**
     * The connection ended, or could not be made, and the follow will connect again after
     * {@code pause}.
     *
     * @param reason what happened, in words ("closed with 1013 (try again)", "connection refused")
     * @param after the seq the next connection resumes after: the last one yielded
     * @param attempt 1 for the first try of a streak of failed ones, then 2, 3…
     * @param wasConnected whether the connection that ended had opened (else it was refused or unreachable)
     * @param pause how long the follow waits before it tries
     */
    default void reconnecting(String reason, long after, int attempt, boolean wasConnected, Duration pause) {}
}
