package dev.stepstream.store;

/**
 * What became of a decision on an approval step ({@link Store#decide}): taken, and the node
 * that holds the run now ({@code owner}, null when none does: the run is claimable at once), or
 * refused because the run or step does not exist or the step waits for no decision.
 */
public record Decided(Outcome outcome, String owner) {

    public enum Outcome { TAKEN, NO_RUN, NO_STEP, NOT_WAITING }

    static final Decided NO_RUN = new Decided(Outcome.NO_RUN, null);
    static final Decided NO_STEP = new Decided(Outcome.NO_STEP, null);
    static final Decided NOT_WAITING = new Decided(Outcome.NOT_WAITING, null);

    static Decided taken(String owner) {
        return new Decided(Outcome.TAKEN, owner);
    }
}
