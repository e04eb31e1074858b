package dev.stepstream.store;

/**
 * A run's place in a concurrency group (docs/workflows.md, "Concurrency"): its key, the most runs
 * of that key running at once, and what it does past them: {@code queue}, {@code skip} or
 * {@code cancel-running}.
 */
public record RunConcurrency(String key, int limit, String onLimit) {

    /** How many runs of its key may hold a slot for a run queued with this limit to start (at least one). */
    public static int slots(int limit) {
        return Math.max(1, limit);
    }

    /**
     * Whether this run could never start as a child of runs of which {@code heldAbove} hold a
     * slot of its key (they keep it until their steps end, so until this run has ended): every
     * slot it may have is theirs, and it does not give up at the limit, as {@code skip} does.
     */
    public boolean neverStartsUnder(long heldAbove) {
        return !onLimit.equals("skip") && heldAbove >= slots(limit);
    }
}
