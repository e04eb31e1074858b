package dev.stepstream.events;

import java.util.Locale;

/** Levels of {@code step_log} lines, lowest first (the stream's {@code minLevel} compares them). */
public enum LogLevel {
    DEBUG, INFO, WARN, ERROR;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    /** @throws IllegalArgumentException naming the unknown level */
    public static LogLevel fromWire(String wire) {
        for (LogLevel level : values()) {
            if (level.wire.equals(wire)) {
                return level;
            }
        }
        throw new IllegalArgumentException("unknown log level \"" + wire + "\" (expected debug, info, warn or error)");
    }
}
