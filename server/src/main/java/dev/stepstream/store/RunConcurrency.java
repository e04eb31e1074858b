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
     * Whether this run, if it were the child of runs of which {@code heldAbove} hold slots of its
     * key (the slots they keep until their steps end, and so until this run has ended), could
     * never start: every slot it may have is theirs, and it would not give up ({@code skip}).
     */
    public boolean waitsOnItsOwn(long heldAbove) {
        return !onLimit.equals("skip") && heldAbove >= slots(limit);
    }
}
