package dev.stepstream.store;

import dev.stepstream.events.RunStatus;

/**
 * What {@link Store#deleteRun} did: deleted the run, found no such run, or refused because the
 * run has not finished ({@code status} is what it is now). Immutable.
 */
public sealed interface RunDeletion {
    RunDeletion NOT_FOUND = new NotFound();

    /**
     * The run's row and its steps, variables and decisions are gone; its events are being purged.
     *
     * @param workflowId the workflow the run was a run of
     */
    record Deleted(String workflowId) implements RunDeletion {}

    record NotFound() implements RunDeletion {}

    /** The run is queued, running or waiting: only a finished run may be deleted. */
    record NotFinished(RunStatus status) implements RunDeletion {}
}
