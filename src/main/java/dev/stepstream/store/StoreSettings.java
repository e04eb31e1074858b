package dev.stepstream.store;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the store is: the embedded SQLite file under {@code dataDir}, or the PostgreSQL
 * database of {@code db} (a JDBC URL; null for the embedded store).
 */
public record StoreSettings(Path dataDir, String db) {
    public static final Setting<String> DATA_DIR = Setting.text("data-dir", "DIR", "./data", "Where the embedded database lives.");
    public static final Setting<String> DB = Setting.of("db", "JDBC_URL", null,
            "A PostgreSQL JDBC URL instead of the embedded SQLite file.", text -> {
                if (!text.startsWith("jdbc:postgresql:") && !text.startsWith("jdbc:sqlite:")) {
                    throw new IllegalArgumentException("expected a JDBC URL (jdbc:postgresql://HOST/DB), got \"" + text + "\"");
                }
                return text;
            });

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(DATA_DIR, DB);

    public static StoreSettings from(Settings settings) {
        return new StoreSettings(Path.of(settings.get(DATA_DIR)), settings.get(DB));
    }

    /** Whether the store is PostgreSQL, shared by several nodes. */
    public boolean postgres() {
        return db != null && db.startsWith("jdbc:postgresql:");
    }
}
