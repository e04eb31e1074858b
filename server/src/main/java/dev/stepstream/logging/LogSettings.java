package dev.stepstream.logging;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import java.util.List;

/**
 * What the server tells operators beyond its metrics: the format of its log lines, and whether
 * every {@code step_log} is also written to its console (for debugging workflows).
 */
public record LogSettings(LogFormat logFormat, boolean echoStepLogs) {
    public static final Setting<LogFormat> LOG_FORMAT = Setting.of("log-format", "FORMAT", LogFormat.TEXT,
            "Log lines as text or json (one object a line, for log shippers).", LogFormat::fromWire).defaultShownAs("text");
    public static final Setting<Boolean> ECHO_STEP_LOGS = Setting.bool("echo-step-logs",
            "Also write every step_log of every run to the server's log (for debugging workflows).");

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(LOG_FORMAT, ECHO_STEP_LOGS);

    public static final LogSettings DEFAULTS = new LogSettings(LOG_FORMAT.defaultValue(), false);

    public static LogSettings from(Settings settings) {
        return new LogSettings(settings.get(LOG_FORMAT), settings.get(ECHO_STEP_LOGS));
    }
}
