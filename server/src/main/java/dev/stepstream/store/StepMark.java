package dev.stepstream.store;

import dev.stepstream.events.StepStatus;
import dev.stepstream.store.RunDetail.StepState;
import java.time.Instant;
import java.util.List;

/**
 * A run's step that moved last, and its status: the runs listing's "last step". The step whose
 * latest moment (its end once it has one, else its start) is the latest; of two at one moment,
 * the later in the run's order. A step skipped without starting has an end, so it counts. Null
 * for a run none of whose steps has started or ended.
 */
public record StepMark(String stepId, StepStatus status) {

    /** The step that moved last of {@code steps} (in the run's order), or null when none has moved. */
    public static StepMark latest(List<StepState> steps) {
        StepState last = null;
        Instant lastMoment = null;
        for (StepState step : steps) {
            Instant moment = moment(step);
            if (moment == null) {
                continue;
            }
            if (lastMoment == null || !moment.isBefore(lastMoment)) {
                last = step;
                lastMoment = moment;
            }
        }
        return last == null ? null : new StepMark(last.stepId(), last.status());
    }

    /** Its end; else (running, waiting, or ended before ends were stored) its start, plus its duration if known; null if neither. */
    private static Instant moment(StepState step) {
        if (step.finishedAt() != null) {
            return step.finishedAt();
        }
        if (step.startedAt() == null) {
            return null;
        }
        return step.durationMs() == null ? step.startedAt() : step.startedAt().plusMillis(step.durationMs());
    }
}
