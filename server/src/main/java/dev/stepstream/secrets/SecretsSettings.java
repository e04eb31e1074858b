package dev.stepstream.secrets;

import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the master key of the secrets is (docs/security.md, "Secrets"): the key itself
 * ({@code STEPSTREAM_SECRETS_KEY}, 32 bytes in base64; prefer the variable to the flag, which
 * other users of the machine may see), or a file holding it, created with mode 0600 when absent
 * (default {@code <data-dir>/secrets.key}). Every node of a cluster must hold the same key.
 *
 * <p>While the master key changes, a node may also hold the one before it ({@code
 * previousKey} or {@code previousKeyFile}, never created): data keys sealed under it still open,
 * until {@code stepstream secrets rotate-key} seals them under the new one.
 */
public record SecretsSettings(String key, Path keyFile, String previousKey, Path previousKeyFile) {
    public static final Setting<String> KEY = Setting.of("secrets-key", "BASE64", null,
            "The secrets' master key, 32 bytes in base64 (prefer STEPSTREAM_SECRETS_KEY).", SecretsSettings::checked);
    public static final Setting<String> KEY_FILE = Setting.of("secrets-key-file", "FILE", null,
            "A file holding the secrets' master key; created (mode 0600) when absent.", text -> text)
            .defaultShownAs("<data-dir>/secrets.key");
    public static final Setting<String> PREVIOUS_KEY = Setting.of("secrets-previous-key", "BASE64", null,
            "While the master key changes: the one before it (prefer STEPSTREAM_SECRETS_PREVIOUS_KEY).",
            SecretsSettings::checked);
    public static final Setting<String> PREVIOUS_KEY_FILE = Setting.of("secrets-previous-key-file", "FILE", null,
            "While the master key changes: a file holding the one before it.", text -> text);

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(KEY, KEY_FILE, PREVIOUS_KEY, PREVIOUS_KEY_FILE);

    /** The master key in {@code keyFile}, and no previous one. */
    public SecretsSettings(Path keyFile) {
        this(null, keyFile, null, null);
    }

    /**
     * The key, or the file, whichever a source of higher precedence gives ("a flag beats the
     * variable": {@code --secrets-key-file} on the command line beats {@code STEPSTREAM_SECRETS_KEY});
     * both from one source is an error naming them. Likewise for the previous key.
     */
    public static SecretsSettings from(Settings settings, Path dataDir) {
        boolean byKey = settings.either(KEY, KEY_FILE) == KEY;
        Setting<?> previous = settings.either(PREVIOUS_KEY, PREVIOUS_KEY_FILE);
        String file = byKey ? null : settings.get(KEY_FILE);
        String previousFile = previous == PREVIOUS_KEY_FILE ? settings.get(PREVIOUS_KEY_FILE) : null;
        return new SecretsSettings(byKey ? settings.get(KEY) : null, file == null ? dataDir.resolve("secrets.key") : Path.of(file),
                previous == PREVIOUS_KEY ? settings.get(PREVIOUS_KEY) : null, previousFile == null ? null : Path.of(previousFile));
    }

    /** The setting that names the master key, as a message to the operator says it (the key: either way it may be given). */
    String keySource() {
        return key != null ? "--secrets-key (STEPSTREAM_SECRETS_KEY)" : "--secrets-key-file " + keyFile;
    }

    /** The setting that names the previous master key, or null. */
    String previousKeySource() {
        return previousKey != null ? "--secrets-previous-key (STEPSTREAM_SECRETS_PREVIOUS_KEY)"
                : previousKeyFile != null ? "--secrets-previous-key-file " + previousKeyFile : null;
    }

    private static String checked(String text) {
        MasterKey.decode(text);
        return text;
    }
}
