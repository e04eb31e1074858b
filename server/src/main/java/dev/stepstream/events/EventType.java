package dev.stepstream.events;

import java.util.Locale;

/** The types of events in a run's log, in wire spelling ({@code run_start}, …). */
public enum EventType {
    RUN_START, STEP_START, STEP_LOG, VARIABLE_CHANGE, STEP_COMPLETE, RUN_COMPLETE,
    /** A node took up a run whose node stopped or died ({@code onInterrupt: resume}) and goes on with it. */
    RUN_RESUMED,
    /** An approval step waits for a decision: {@code {"stepId","message"}}. */
    STEP_WAITING;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    /** An event of the run itself, not of one of its steps: every stream sends it, whatever its step filter. */
    public boolean isRunEvent() {
        return this == RUN_START || this == RUN_RESUMED || this == RUN_COMPLETE;
    }

    /**
     * An event the all-runs stream tells dashboards of, which every node hears of every run: the
     * run's own, and a step's end or wait for a decision.
     */
    public boolean isRunLevel() {
        return isRunEvent() || this == STEP_COMPLETE || this == STEP_WAITING;
    }

    /** @throws IllegalArgumentException naming the unknown type */
    public static EventType fromWire(String wire) {
        for (EventType type : values()) {
            if (type.wire.equals(wire)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown event type \"" + wire + "\"");
    }
}
