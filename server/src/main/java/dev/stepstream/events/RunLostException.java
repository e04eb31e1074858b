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
    private final boolean stale;

    public RunLostException(UUID runId, String reason) {
        this(runId, reason, false);
    }

    /**
     * @param stale the run is this node's again (released, then claimed here anew), and the
     *              events came from the driver of its earlier claim: only they are dropped,
     *              the run's new driver goes on
     */
    public RunLostException(UUID runId, String reason, boolean stale) {
        super("run " + runId + " " + reason);
        this.runId = runId;
        this.stale = stale;
    }

    public UUID runId() {
        return runId;
    }

    public boolean stale() {
        return stale;
    }
}
