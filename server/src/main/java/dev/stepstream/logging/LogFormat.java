package dev.stepstream.logging;

import java.util.Locale;

/** How the server writes its log lines: {@code text} for people, {@code json} (one object a line) for log shippers. */
public enum LogFormat {
    TEXT, JSON;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException for anything but text or json */
    public static LogFormat fromWire(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("expected text or json, got \"" + text + "\"");
        };
    }
}
