package dev.stepstream.events;

import java.util.Locale;

/** The types of events in a run's log, in wire spelling ({@code run_start}, …). */
public enum EventType {
    RUN_START, STEP_START, STEP_LOG, VARIABLE_CHANGE, STEP_COMPLETE, RUN_COMPLETE;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
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
