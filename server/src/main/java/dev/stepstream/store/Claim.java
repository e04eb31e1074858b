package dev.stepstream.store;

import java.util.List;
import java.util.UUID;

/**
 * What one {@link Store#claimQueued} took for a node.
 *
 * @param runs     the runs the node now owns, oldest first: to start, or to end at once without
 *                 running ({@link ClaimedRun#cancelRequested}, {@link ClaimedRun#overLimit})
 * @param cancels  runs whose cancel the claim recorded to make room for a newer run of their
 *                 concurrency key ({@code onLimit: cancel-running}): the node is to deliver each
 *                 cancel to the run's owner, as any cancel
 * @param heldBack whether runs of a concurrency key were left queued because the key is at its
 *                 limit: the end of a run anywhere may let them start, so the node should claim
 *                 again when it hears of one
 */
public record Claim(List<ClaimedRun> runs, List<UUID> cancels, boolean heldBack) {
    public static final Claim NONE = new Claim(List.of(), List.of(), false);

    public Claim {
        runs = List.copyOf(runs);
        cancels = List.copyOf(cancels);
    }
}
