package dev.stepstream.store;

import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import java.util.List;
import java.util.UUID;

/**
 * A run's stored log folded from its start by the one rule of run state ({@link RunFold}), the
 * rule by which {@link Store#commit} builds the projection: what a node resuming a run and the
 * API's time travel ({@code GET …/runs/{runId}/state?at=SEQ}) both need. The log is read a page
 * at a time and each page dropped once folded, so memory is one page and the run's state,
 * whatever the length of the log (a million events).
 *
 * <p>Stateless; each call blocks on the store (callers run on virtual threads).
 */
public final class RunReplay {
    /** Events read per query: large enough that the query's cost is spread, small enough to hold. */
    static final int PAGE = 1_000;

    private RunReplay() {}

    /**
     * Folds events 1..{@code toSeq} of the run into {@code state}, each with the whole value the
     * store keeps beside it ({@link Store#eventsToFold}).
     *
     * @param state the run before its first event ({@link RunFold.Run#queued} with its declared steps)
     * @return {@code state}, its {@code lastSeq} equal to {@code toSeq}
     * @throws IllegalStateException when the stored log ends before {@code toSeq} or has a gap
     *         (the run was deleted meanwhile, or the log is damaged)
     * @throws IllegalArgumentException when an event cannot follow the state ({@link RunFold#apply})
     */
    public static RunFold.Run fold(Store store, UUID runId, RunFold.Run state, long toSeq) {
        while (state.lastSeq < toSeq) {
            int limit = (int) Math.min(PAGE, toSeq - state.lastSeq);
            List<RunEvent> page = store.eventsToFold(runId, state.lastSeq, limit);
            if (page.isEmpty()) {
                throw new IllegalStateException("the log of run " + runId + " ends at seq " + state.lastSeq
                        + ", before seq " + toSeq);
            }
            for (RunEvent event : page) {
                if (event.seq() != state.lastSeq + 1) {
                    throw new IllegalStateException("the log of run " + runId + " has seq " + event.seq() + " after seq "
                            + state.lastSeq);
                }
                RunFold.apply(state, event);
            }
        }
        return state;
    }
}
