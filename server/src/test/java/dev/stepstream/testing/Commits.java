package dev.stepstream.testing;

import dev.stepstream.events.RunEvent;
import dev.stepstream.store.Store;
import java.util.List;

/** Commits events to a store as a node's event log does: as the node that holds their runs. */
public final class Commits {
    /** The node the tests' events come from. */
    public static final String NODE = "test-node";

    private Commits() {}

    /** Claims the batch's runs that are still queued and unclaimed for {@link #NODE}, then commits as it. */
    public static void commit(Store store, List<RunEvent> batch) {
        batch.stream().map(RunEvent::runId).distinct().forEach(runId -> store.claimRun(runId, NODE));
        store.commit(NODE, batch);
    }
}
