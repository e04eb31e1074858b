package dev.stepstream.store;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import dev.stepstream.time.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where the store is: the embedded SQLite file under {@code dataDir}, or the PostgreSQL
 * database of {@code db} (a JDBC URL; null for the embedded store); and how long it keeps a
 * finished run, {@code retention} (zero: for ever; docs/operations.md, "Retention").
 */
public record StoreSettings(Path dataDir, String db, Duration retention) {
    /** What {@code --retention} is when not given. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(90);

    public static final Setting<String> DATA_DIR = Setting.text("data-dir", "DIR", "./data", "Where the embedded database lives.");
    public static final Setting<String> DB = Setting.of("db", "JDBC_URL", null,
            "A PostgreSQL JDBC URL instead of the embedded SQLite file.", text -> {
                if (!text.startsWith("jdbc:postgresql:") && !text.startsWith("jdbc:sqlite:")) {
                    throw new IllegalArgumentException("expected a JDBC URL (jdbc:postgresql://HOST/DB), got \"" + text + "\"");
                }
                return text;
            });

    public static final Setting<Duration> RETENTION = Setting.of("retention", "DURATION", DEFAULT_RETENTION,
            "How long a finished run is kept (0: for ever); a workflow's retention may keep its runs less.",
            StoreSettings::retention).defaultShownAs(Durations.format(DEFAULT_RETENTION));

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(DATA_DIR, DB, RETENTION);

    public static StoreSettings from(Settings settings) {
        return new StoreSettings(Path.of(settings.get(DATA_DIR)), settings.get(DB), settings.get(RETENTION));
    }

    /** The embedded store under {@code dataDir}, keeping runs {@link #DEFAULT_RETENTION}. */
    public static StoreSettings embedded(Path dataDir) {
        return new StoreSettings(dataDir, null, DEFAULT_RETENTION);
    }

    public StoreSettings withDb(String jdbcUrl) {
        return new StoreSettings(dataDir, jdbcUrl, retention);
    }

    public StoreSettings withRetention(Duration keep) {
        return new StoreSettings(dataDir, db, keep);
    }

    private static Duration retention(String text) {
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        try {
            Duration parsed = Durations.parse(trimmed);
            if (!parsed.isNegative()) {
                return parsed;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException("expected a duration like 90d, 12h or 0 (keep for ever), got \"" + text + "\"");
    }

    /** Whether the store is PostgreSQL, shared by several nodes. */
    public boolean postgres() {
        return db != null && db.startsWith("jdbc:postgresql:");
    }
}
