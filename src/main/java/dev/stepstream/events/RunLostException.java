package dev.stepstream.events;

import java.util.UUID;

/**
 * The store refused a run's events because their writer no longer holds the run: another
 * node took it over (this node's lease lapsed: a database outage, a pause), or the run has
 * ended already. Not a bug, and not retried: the writer stops the run and its events are
 * dropped, so that a run has exactly one {@code run_complete}, its last event (DESIGN.md,
 * "Scale").
 */
public final class RunLostException extends IllegalStateException {
    private final UUID runId;

    public RunLostException(UUID runId, String reason) {
        super("run " + runId + " " + reason);
        this.runId = runId;
    }

    public UUID runId() {
        return runId;
    }
}
