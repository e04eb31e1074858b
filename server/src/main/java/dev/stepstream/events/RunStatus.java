package dev.stepstream.events;

import java.util.Locale;

/**
 * The status of a run. A run moves queued -> running -> one terminal status, or straight
 * from queued to cancelled, interrupted or failed (a run whose workflow can no longer run);
 * while it runs it may be {@code waiting} (every step it has started and not ended waits for a
 * decision: {@link RunFold}) and running again, any number of times;
 * {@link #canMoveTo} is the one place that says which moves are legal. The store applies it
 * to every commit ({@code BatchEffects}, {@code BatchWriter}), so a run that has ended takes
 * no further event, whoever sends it.
 */
public enum RunStatus {
    QUEUED, RUNNING, WAITING, SUCCESS, FAILED, CANCELLED, INTERRUPTED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING && this != WAITING;
    }

    /** Whether a run may move from this status to {@code next}. */
    public boolean canMoveTo(RunStatus next) {
        return switch (this) {
            case QUEUED -> next == RUNNING || next == CANCELLED || next == INTERRUPTED || next == FAILED;
            case RUNNING -> next == WAITING || next.isTerminal();
            case WAITING -> next == RUNNING || next.isTerminal();
            default -> false;
        };
    }

    /** @throws IllegalStateException when a run may not move from this status to {@code next} */
    public RunStatus checkTransition(RunStatus next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("a run cannot go from " + wire + " to " + next.wire);
        }
        return next;
    }

    /** @throws IllegalArgumentException naming the unknown status */
    public static RunStatus fromWire(String wire) {
        for (RunStatus status : values()) {
            if (status.wire.equals(wire)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown run status \"" + wire + "\"");
    }
}
