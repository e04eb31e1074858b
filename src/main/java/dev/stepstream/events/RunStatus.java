package dev.stepstream.events;

import java.util.Locale;

/**
 * The status of a run. A run moves queued -> running -> one terminal status, or straight
 * from queued to cancelled or interrupted; {@link #checkTransition} is the one place that
 * says which moves are legal.
 */
public enum RunStatus {
    QUEUED, RUNNING, SUCCESS, FAILED, CANCELLED, INTERRUPTED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }

    /** @throws IllegalStateException when a run may not move from this status to {@code next} */
    public RunStatus checkTransition(RunStatus next) {
        boolean legal = switch (this) {
            case QUEUED -> next == RUNNING || next == CANCELLED || next == INTERRUPTED;
            case RUNNING -> next.isTerminal();
            default -> false;
        };
        if (!legal) {
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
