package dev.stepstream.events;

import java.util.Locale;

/**
 * The status of one step of a run, as the run detail and {@code step_complete} show it;
 * {@code waiting}: an approval step that waits for a decision ({@code step_waiting}).
 */
public enum StepStatus {
    PENDING, RUNNING, WAITING, SUCCESS, FAILED, SKIPPED, CANCELLED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public boolean isTerminal() {
        return this != PENDING && this != RUNNING && this != WAITING;
    }

    /** @throws IllegalArgumentException naming the unknown status */
    public static StepStatus fromWire(String wire) {
        for (StepStatus status : values()) {
            if (status.wire.equals(wire)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown step status \"" + wire + "\"");
    }
}
