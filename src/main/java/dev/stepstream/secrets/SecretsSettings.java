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
 */
public record SecretsSettings(String key, Path keyFile) {
    public static final Setting<String> KEY = Setting.of("secrets-key", "BASE64", null,
            "The secrets' master key, 32 bytes in base64 (prefer STEPSTREAM_SECRETS_KEY).", text -> {
                MasterKey.decode(text);
                return text;
            });
    public static final Setting<String> KEY_FILE = Setting.of("secrets-key-file", "FILE", null,
            "A file holding the secrets' master key; created (mode 0600) when absent.", text -> text)
            .defaultShownAs("<data-dir>/secrets.key");

    /** This package's settings, in the order {@code --help} lists them. */
    public static final List<Setting<?>> ALL = List.of(KEY, KEY_FILE);

    public static SecretsSettings from(Settings settings, Path dataDir) {
        String file = settings.get(KEY_FILE);
        return new SecretsSettings(settings.get(KEY), file == null ? dataDir.resolve("secrets.key") : Path.of(file));
    }
}
