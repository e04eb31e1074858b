package dev.stepstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.stepstream.workflow.Durations;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The server's settings, validated once at start-up. Each comes from, in order of precedence,
 * its flag ({@code --port}), its variable ({@code STEPSTREAM_PORT}), the config file given
 * with {@code --config} (YAML, keys spelled like the flags: {@code port: 9090}), or its default.
 */
public record Config(String host, int port, Path dataDir, Path workflowsDir, String db, String redis,
                     boolean allowScripts, boolean insecure, int maxConcurrentRuns, int maxQueuedRuns,
                     StreamTimings streams, java.util.List<String> allowedOrigins, Observability observability) {

    /**
     * Liveness of stream connections (API.md "Liveness and closing"): a ping frame every
     * {@code pingInterval}; a connection from which nothing arrived for {@code idleTimeout} is
     * closed; a write that cannot complete within {@code writeTimeout} closes it with 1013; SSE
     * streams get a comment line every {@code sseKeepAlive}.
     */
    public record StreamTimings(Duration pingInterval, Duration idleTimeout, Duration writeTimeout, Duration sseKeepAlive) {
        public static final StreamTimings DEFAULTS = new StreamTimings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(15));
    }

    /**
     * What the server tells operators beyond its metrics: the format of its log lines, and
     * whether every {@code step_log} is also written to its console (for debugging workflows).
     */
    public record Observability(dev.stepstream.logging.LogFormat logFormat, boolean echoStepLogs) {
        public static final Observability DEFAULTS = new Observability(dev.stepstream.logging.LogFormat.TEXT, false);
    }

    /** Every setting's name, as a flag without its dashes. */
    static final Set<String> NAMES = Set.of("host", "port", "data-dir", "workflows-dir", "db", "redis",
            "allow-scripts", "insecure", "max-concurrent-runs", "max-queued-runs", "ws-ping-interval",
            "ws-idle-timeout", "write-timeout", "sse-keep-alive", "allowed-origins", "config", "log-format", "echo-step-logs");

    /** Defaults for a test or an embedding: loopback, a free port, everything under {@code dataDir}. */
    public static Config forTests(Path dataDir) {
        return new Config("127.0.0.1", 0, dataDir, dataDir.resolve("workflows"), null, null, true, false, 64, 10_000,
                StreamTimings.DEFAULTS, java.util.List.of(), Observability.DEFAULTS);
    }

    public Config withAllowScripts(boolean allow) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allow, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, observability);
    }

    public Config withMaxConcurrentRuns(int max) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, max, maxQueuedRuns, streams, allowedOrigins, observability);
    }

    public Config withWorkflowsDir(Path dir) {
        return new Config(host, port, dataDir, dir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, observability);
    }

    public Config withAllowedOrigins(java.util.List<String> origins) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, origins, observability);
    }

    public Config withObservability(Observability settings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, settings);
    }

    public Config withStreams(StreamTimings timings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, timings, allowedOrigins, observability);
    }

    /**
     * Resolves the settings.
     * @param flags values given on the command line, by setting name (absent when not given)
     * @param env   the environment
     * @throws ConfigException naming the flag, variable or file key and what is wrong with it
     */
    public static Config resolve(Map<String, String> flags, Map<String, String> env) {
        Sources sources = new Sources(flags, env);
        String configFile = sources.raw("config");
        if (configFile != null) {
            sources.file = readFile(Path.of(configFile));
        }
        String host = sources.text("host", "127.0.0.1");
        int port = sources.integer("port", 8080, 0, 65535);
        Path dataDir = Path.of(sources.text("data-dir", "./data"));
        Path workflowsDir = Path.of(sources.text("workflows-dir", "./workflows"));
        String db = sources.text("db", null);
        if (db != null && !db.startsWith("jdbc:postgresql:") && !db.startsWith("jdbc:sqlite:")) {
            throw new ConfigException(sources.origin("db") + ": expected a JDBC URL (jdbc:postgresql://HOST/DB), got \"" + db + "\"");
        }
        String redis = sources.text("redis", null);
        if (redis != null) {
            throw new ConfigException(sources.origin("redis") + ": the Redis broker is not available in this version of stepstream");
        }
        boolean allowScripts = sources.bool("allow-scripts");
        boolean insecure = sources.bool("insecure");
        int maxConcurrentRuns = sources.integer("max-concurrent-runs", 64, 1, 100_000);
        int maxQueuedRuns = sources.integer("max-queued-runs", 10_000, 1, 10_000_000);
        StreamTimings defaults = StreamTimings.DEFAULTS;
        StreamTimings streams = new StreamTimings(
                sources.duration("ws-ping-interval", defaults.pingInterval()),
                sources.duration("ws-idle-timeout", defaults.idleTimeout()),
                sources.duration("write-timeout", defaults.writeTimeout()),
                sources.duration("sse-keep-alive", defaults.sseKeepAlive()));
        java.util.List<String> allowedOrigins = sources.origins("allowed-origins");
        if (!isLoopback(host, sources) && !insecure) {
            throw new ConfigException(sources.origin("host") + ": refusing to listen on " + host
                    + " without credentials configured; bind 127.0.0.1, or pass --insecure if this network is trusted");
        }
        Observability observability = new Observability(sources.logFormat("log-format"), sources.bool("echo-step-logs"));
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, observability);
    }

    private static boolean isLoopback(String host, Sources sources) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException(sources.origin("host") + ": unknown host \"" + host + "\"");
        }
    }

    private static Map<String, String> readFile(Path file) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(Files.readAllBytes(file));
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
            if (!NAMES.contains(entry.getKey()) || entry.getKey().equals("config")) {
                throw new ConfigException("--config: " + file + ": unknown setting \"" + entry.getKey() + "\"");
            }
            if (!entry.getValue().isValueNode()) {
                throw new ConfigException("--config: " + file + ": " + entry.getKey() + " must be a single value");
            }
            values.put(entry.getKey(), entry.getValue().asText());
        }
        return values;
    }

    /** Where each value comes from, so that an error names the flag, variable or key. */
    private static final class Sources {
        private final Map<String, String> flags;
        private final Map<String, String> env;
        private Map<String, String> file = Map.of();

        Sources(Map<String, String> flags, Map<String, String> env) {
            this.flags = flags;
            this.env = env;
        }

        static String variable(String name) {
            return "STEPSTREAM_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        }

        String raw(String name) {
            if (flags.containsKey(name)) {
                return flags.get(name);
            }
            if (env.containsKey(variable(name))) {
                return env.get(variable(name));
            }
            return file.get(name);
        }

        String origin(String name) {
            if (flags.containsKey(name)) {
                return "--" + name;
            }
            if (env.containsKey(variable(name))) {
                return variable(name);
            }
            return file.containsKey(name) ? "config file key " + name : "--" + name;
        }

        String text(String name, String defaultValue) {
            String value = raw(name);
            if (value == null) {
                return defaultValue;
            }
            if (value.isBlank()) {
                throw new ConfigException(origin(name) + ": must not be empty");
            }
            return value;
        }

        int integer(String name, int defaultValue, int min, int max) {
            String value = raw(name);
            if (value == null) {
                return defaultValue;
            }
            try {
                int parsed = Integer.parseInt(value.trim());
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new ConfigException(origin(name) + ": expected a whole number from " + min + " to " + max + ", got \"" + value + "\"");
        }

        /** A comma list of origins, each scheme://host[:port], normalised to lower case. */
        java.util.List<String> origins(String name) {
            String value = raw(name);
            if (value == null || value.isBlank()) {
                return java.util.List.of();
            }
            java.util.List<String> origins = new java.util.ArrayList<>();
            for (String origin : value.split(",")) {
                String trimmed = origin.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.matches("https?://[^/\\s]+")) {
                    throw new ConfigException(origin(name) + ": expected origins like https://ops.example.com, got \"" + origin.trim() + "\"");
                }
                origins.add(trimmed);
            }
            return java.util.List.copyOf(origins);
        }

        Duration duration(String name, Duration defaultValue) {
            String value = raw(name);
            if (value == null) {
                return defaultValue;
            }
            try {
                Duration parsed = Durations.parse(value.trim());
                if (!parsed.isZero() && !parsed.isNegative()) {
                    return parsed;
                }
            } catch (IllegalArgumentException e) {
                // reported below
            }
            throw new ConfigException(origin(name) + ": expected a duration like 500ms, 10s or 1m, got \"" + value + "\"");
        }

        dev.stepstream.logging.LogFormat logFormat(String name) {
            String value = raw(name);
            if (value == null) {
                return dev.stepstream.logging.LogFormat.TEXT;
            }
            try {
                return dev.stepstream.logging.LogFormat.fromWire(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(origin(name) + ": " + e.getMessage());
            }
        }

        boolean bool(String name) {
            String value = raw(name);
            if (value == null) {
                return false;
            }
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1", "on", "" -> true;
                case "false", "no", "0", "off" -> false;
                default -> throw new ConfigException(origin(name) + ": expected true or false, got \"" + value + "\"");
            };
        }
    }
}
