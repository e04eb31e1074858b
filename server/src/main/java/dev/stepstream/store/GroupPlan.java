package dev.stepstream.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a claim does with the runs of one concurrency key (docs/workflows.md, "Concurrency"): a
 * pure function of the key's unfinished runs, as read by {@link ConcurrencyClaims}, and of how
 * many runs the claiming node may start.
 *
 * <p>A run of a key holds a slot of it from its claim to its end: running or waiting (even when
 * no node holds it: handed back to be resumed, or parked for a decision), or queued and claimed
 * to be started. A queued run claimed only to be ended (skipped, or cancelled before it started)
 * holds none. Each unclaimed queued run, oldest first (created_at, run_id), then:
 * <ul>
 *   <li>cancelled already: is ended (it takes no slot);</li>
 *   <li>with room under its limit, and no older run of the key held back before it: starts, when
 *       the node has a free slot; else its slot is kept for it, for a node that has one;</li>
 *   <li>else, {@code skip}: is ended, over the limit (only when the key is at its limit: one held
 *       back behind an older run with a lower limit waits its turn);</li>
 *   <li>else it waits ({@code queue}), and so does every newer run of the key (first come, first
 *       served); {@code cancel-running} waits too, for the slot of a run already asked to cancel
 *       that no older waiting run counts on, or else has the oldest slot holder not yet asked to
 *       cancel cancelled: one run for each run that waits, never more.</li>
 * </ul>
 */
record GroupPlan(List<GroupRow> start, List<GroupRow> end, List<GroupRow> cancel, boolean heldBack) {

    /** A run of the key that is not finished, as the claim reads it. */
    record GroupRow(String runId, String status, String owner, boolean claimedToEnd, boolean cancelRequested,
                    long createdAt, int limit, String onLimit) {

        /** Holds a slot of its key: it runs, waits, or is claimed to be started. */
        boolean holdsSlot() {
            return status.equals("running") || status.equals("waiting")
                    || (status.equals("queued") && owner != null && !claimedToEnd);
        }

        boolean unclaimed() {
            return status.equals("queued") && owner == null;
        }
    }

    static final GroupPlan NOTHING = new GroupPlan(List.of(), List.of(), List.of(), false);

    /**
     * @param rows   the key's unfinished runs, oldest first
     * @param budget how many runs the claiming node may start
     */
    static GroupPlan of(List<GroupRow> rows, int budget) {
        int taken = 0;   // slots held, or kept for a run that waits
        int freeing = 0; // slots of runs asked to cancel that no waiting run counts on yet
        Deque<GroupRow> cancellable = new ArrayDeque<>(); // slot holders not asked to cancel, oldest first
        for (GroupRow row : rows) {
            if (row.holdsSlot()) {
                taken++;
                if (row.cancelRequested()) {
                    freeing++;
                } else {
                    cancellable.add(row);
                }
            }
        }
        List<GroupRow> start = new ArrayList<>();
        List<GroupRow> end = new ArrayList<>();
        List<GroupRow> cancel = new ArrayList<>();
        boolean blocked = false; // an older run waits for the limit: no newer one starts before it
        boolean heldBack = false;
        for (GroupRow row : rows) {
            if (!row.unclaimed()) {
                continue;
            }
            boolean room = taken < RunConcurrency.slots(row.limit());
            if (row.cancelRequested()) {
                end.add(row);
            } else if (room && !blocked) {
                taken++;
                if (start.size() < budget) {
                    start.add(row);
                }
            } else if (!room && row.onLimit().equals("skip")) {
                end.add(row);
            } else {
                heldBack = true;
                blocked = true;
                if (!room && row.onLimit().equals("cancel-running")) {
                    if (freeing > 0) {
                        freeing--;
                    } else if (!cancellable.isEmpty()) {
                        cancel.add(cancellable.removeFirst());
                    }
                }
            }
        }
        return new GroupPlan(start, end, cancel, heldBack);
    }

    /** Whether a claim has anything to write for the key: runs to claim or cancels to ask. */
    boolean acts() {
        return !start.isEmpty() || !end.isEmpty() || !cancel.isEmpty();
    }
}
