package dev.stepstream.settings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The values of {@link Setting}s from their sources, in order of precedence: the flag, the
 * environment variable, the config file ({@code --config}, YAML, keys spelled like the flags),
 * the default. A variable set to the empty string counts as not set. A bad value is a
 * {@link ConfigException} naming where it came from.
 *
 * <p>Immutable once made.
 */
public final class Settings {
    /** {@code --config}: read from the flag or the variable only. */
    public static final Setting<String> CONFIG = Setting.text("config", "FILE", null,
            "A YAML file of settings (keys spelled like the flags).");

    private final Map<String, String> flags;
    private final Map<String, String> env;
    private final Map<String, String> file;
    /** Where {@code file} was read from, or null. */
    private final Path filePath;

    private Settings(Map<String, String> flags, Map<String, String> env, Path filePath, Map<String, String> file) {
        this.flags = Map.copyOf(flags);
        // A variable set to nothing is not set: it is how compose files, Kubernetes and systemd
        // units "unset" one, which must not turn a switch on (STEPSTREAM_INSECURE=).
        this.env = env.entrySet().stream().filter(variable -> !variable.getValue().isEmpty())
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
        this.filePath = filePath;
        this.file = file;
    }

    /**
     * @param known every setting there is: a config file may hold no other key
     * @param flags the values given on the command line, by setting name
     * @param env   the environment
     * @throws ConfigException when the config file cannot be read or holds an unknown key
     */
    public static Settings of(Collection<Setting<?>> known, Map<String, String> flags, Map<String, String> env) {
        Settings withoutFile = new Settings(flags, env, null, Map.of());
        String configFile = withoutFile.get(CONFIG);
        if (configFile == null) {
            return withoutFile;
        }
        Set<String> names = known.stream().map(Setting::name).collect(Collectors.toSet());
        Path path = Path.of(configFile);
        return new Settings(flags, env, path, readFile(path, names));
    }

    /** The setting's value from the first source that has it, or its default. */
    public <T> T get(Setting<T> setting) {
        String raw = raw(setting);
        if (raw == null) {
            return setting.defaultValue();
        }
        try {
            return setting.parse(raw);
        } catch (IllegalArgumentException e) {
            throw wrong(setting, e.getMessage());
        }
    }

    /** The setting's text as given, or null. */
    public String raw(Setting<?> setting) {
        String name = setting.name();
        if (flags.containsKey(name)) {
            return flags.get(name);
        }
        if (env.containsKey(setting.variable())) {
            return env.get(setting.variable());
        }
        return file.get(name);
    }

    /** Where the setting's value comes from, as an error names it: the flag, the variable or the file key. */
    public String origin(Setting<?> setting) {
        if (flags.containsKey(setting.name())) {
            return setting.flag();
        }
        if (env.containsKey(setting.variable())) {
            return setting.variable();
        }
        return file.containsKey(setting.name()) ? "config file " + filePath + " key " + setting.name() : setting.flag();
    }

    /**
     * Of two settings that say one thing two ways (a key, or a file that holds it), the one given
     * by the source that comes first (flag, variable, file); null when neither is given.
     * @throws ConfigException naming both when one source gives both
     */
    public Setting<?> either(Setting<?> one, Setting<?> other) {
        int first = rank(one);
        int second = rank(other);
        if (first == second && first < NOT_GIVEN) {
            throw new ConfigException(origin(one) + " and " + origin(other) + " give the same thing two ways: give one of them");
        }
        return Math.min(first, second) == NOT_GIVEN ? null : first < second ? one : other;
    }

    private static final int NOT_GIVEN = 3;

    /** The setting's source by precedence: 0 the flag, 1 the variable, 2 the config file, {@link #NOT_GIVEN}. */
    private int rank(Setting<?> setting) {
        return flags.containsKey(setting.name()) ? 0 : env.containsKey(setting.variable()) ? 1
                : file.containsKey(setting.name()) ? 2 : NOT_GIVEN;
    }

    /** An error about the setting's value: {@code "<origin>: <what>"}. */
    public ConfigException wrong(Setting<?> setting, String what) {
        return new ConfigException(origin(setting) + ": " + what);
    }

    private static Map<String, String> readFile(Path file, Set<String> names) {
        JsonNode root;
        try {
            // A key given twice is a mistake whichever value was meant: refused, not the last one taken.
            root = YAMLMapper.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build()
                    .readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ConfigException("--config: cannot read " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<String, String> values = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return values;
        }
        if (!root.isObject()) {
            throw new ConfigException("--config: " + file + " must be a mapping of setting names to values");
        }
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            if (!names.contains(entry.getKey()) || entry.getKey().equals(CONFIG.name())) {
                throw new ConfigException("--config: " + file + ": unknown setting \"" + entry.getKey() + "\"");
            }
            if (!entry.getValue().isValueNode()) {
                throw new ConfigException("--config: " + file + ": " + entry.getKey() + " must be a single value");
            }
            values.put(entry.getKey(), entry.getValue().asText());
        }
        return values;
    }
}
