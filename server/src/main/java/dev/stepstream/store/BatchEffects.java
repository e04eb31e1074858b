package dev.stepstream.store;

import dev.stepstream.events.RunEvent;
import dev.stepstream.events.RunFold;
import dev.stepstream.events.RunStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one batch of events does to the run, step and variable projections, folded per run so
 * that a commit costs one statement per touched row rather than one per event: a run that
 * logged 2,000 lines and changed one variable twice costs one {@code UPDATE runs} and one
 * variable upsert. Events of a run are folded in seq order by the one rule of run state,
 * {@link RunFold}; the last word on a field wins.
 *
 * <p>Built and used by the committer thread within one {@link JdbcStore#commit}; not shared.
 */
final class BatchEffects {

    /** A run's net change: its fold from an unknown stored status, and what the store must check. */
    static final class RunEffect {
        final UUID id;
        final String runId;
        final long firstSeq;
        /** Null fields (and status) are left as stored. */
        final RunFold.Run state = new RunFold.Run();
        /**
         * The statuses the stored run may have for this batch to apply, by {@link RunStatus#canMoveTo}:
         * queued before a run_start, running or waiting before anything else but a run_complete,
         * which may also end a queued run. Set by the batch's first event of the run.
         */
        List<RunStatus> from;
        /** The fold's running status is assumed from the batch's first event, not said by one: the stored one stands. */
        boolean statusAssumed;

        RunEffect(UUID id, long firstSeq) {
            this.id = id;
            this.runId = id.toString();
            this.firstSeq = firstSeq;
            this.state.lastSeq = firstSeq - 1;
        }
    }

    private final Map<UUID, RunEffect> byRun;

    private BatchEffects(Map<UUID, RunEffect> byRun) {
        this.byRun = byRun;
    }

    /**
     * @throws IllegalArgumentException naming the event when a run's events in the batch are
     *         not consecutive ascending seqs, or a payload lacks what its projection needs
     */
    static BatchEffects fold(List<RunEvent> batch) {
        Map<UUID, RunEffect> byRun = new HashMap<>();
        RunEffect run = null; // the previous event's: a flood's batch is mostly one run's
        for (RunEvent event : batch) {
            if (run == null || !run.id.equals(event.runId())) {
                run = byRun.get(event.runId());
                if (run == null) {
                    run = new RunEffect(event.runId(), event.seq());
                    byRun.put(event.runId(), run);
                }
            }
            if (event.seq() != run.state.lastSeq + 1) {
                throw new IllegalArgumentException("events of run " + run.runId + " in one batch must have consecutive seqs: "
                        + event.seq() + " follows " + run.state.lastSeq);
            }
            try {
                if (run.from == null) {
                    run.from = from(run, event);
                }
                RunFold.apply(run.state, event);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("event " + event + ": " + e.getMessage(), e);
            }
        }
        return new BatchEffects(byRun);
    }

    /**
     * The stored statuses the run's first event of the batch may follow, checked by the commit.
     * An event of a running run also makes its status known to the fold, which then checks the
     * moves within the batch.
     */
    private static List<RunStatus> from(RunEffect run, RunEvent event) {
        RunStatus next = switch (event.type()) {
            case RUN_START -> RunStatus.RUNNING;
            case RUN_COMPLETE -> event.endStatus();
            default -> null;
        };
        if (next == null) {
            // Running or waiting, as stored: the fold checks the batch's moves as for a running
            // run, and the store keeps (or settles) which of the two it is.
            run.state.status = RunStatus.RUNNING;
            run.statusAssumed = true;
            return List.of(RunStatus.RUNNING, RunStatus.WAITING);
        }
        List<RunStatus> from = Arrays.stream(RunStatus.values()).filter(status -> status.canMoveTo(next)).toList();
        if (from.isEmpty()) {
            throw new IllegalArgumentException("no run can move to " + next.wire());
        }
        return from;
    }

    /** The run id text of an event of this batch, computed once per run. */
    String runId(RunEvent event) {
        return byRun.get(event.runId()).runId;
    }

    int runCount() {
        return byRun.size();
    }

    /**
     * The runs of the batch ordered by id: every writer that updates several runs locks their
     * rows in this one order, so two of them cannot deadlock on PostgreSQL.
     */
    List<RunEffect> runs() {
        List<RunEffect> runs = new ArrayList<>(byRun.values());
        runs.sort(Comparator.comparing(run -> run.runId));
        return runs;
    }
}
