package dev.stepstream.app;

import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.logging.LogSettings;
import dev.stepstream.secrets.SecretsSettings;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.settings.ConfigException;
import dev.stepstream.settings.Redact;
import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import dev.stepstream.store.StoreSettings;
import dev.stepstream.stream.StreamSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The server's settings, validated once at start-up. Each is a {@link Setting} declared once,
 * by the package that uses it (its settings record: {@code StoreSettings}, {@code StreamSettings},
 * {@code ClusterSettings}, {@code SecuritySettings}, {@code LogSettings}; the server's own here),
 * and listed in {@link #SETTINGS}, from which {@code serve}'s options are made; each value
 * comes from, in order of precedence, its flag ({@code --port}), its variable
 * ({@code STEPSTREAM_PORT}), the config file given with {@code --config} (YAML, keys spelled
 * like the flags: {@code port: 9090}), or its default.
 */
public record Config(String host, int port, StoreSettings store, Path workflowsDir, String redis,
                     boolean allowScripts, boolean insecure, int maxConcurrentRuns, int maxQueuedRuns,
                     StreamSettings streams, List<String> allowedOrigins, ClusterSettings cluster,
                     SecuritySettings security, LogSettings observability, SecretsSettings secrets) {

    /** Where the embedded database lives (the store's setting). */
    public Path dataDir() {
        return store.dataDir();
    }

    /** The PostgreSQL JDBC URL, or null for the embedded SQLite store (the store's setting). */
    public String db() {
        return store.db();
    }

    /** Defaults for a test or an embedding: loopback, a free port, everything under {@code dataDir}. */
    public static Config forTests(Path dataDir) {
        return new Config("127.0.0.1", 0, StoreSettings.embedded(dataDir), dataDir.resolve("workflows"), null, true, false,
                64, 10_000, StreamSettings.DEFAULTS, List.of(), ClusterSettings.defaults(), SecuritySettings.NONE,
                LogSettings.DEFAULTS, new SecretsSettings(dataDir.resolve("secrets.key")));
    }

    public Config withAllowScripts(boolean allow) {
        return new Config(host, port, store, workflowsDir, redis, allow, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withMaxConcurrentRuns(int max) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, max, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withMaxQueuedRuns(int max) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, max, streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withWorkflowsDir(Path dir) {
        return new Config(host, port, store, dir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withAllowedOrigins(List<String> origins) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, origins, cluster, security, observability, secrets);
    }

    public Config withDb(String jdbcUrl) {
        return new Config(host, port, store.withDb(jdbcUrl), workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withRetention(Duration retention) {
        return new Config(host, port, store.withRetention(retention), workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns,
                maxQueuedRuns, streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withRedis(String url) {
        return new Config(host, port, store, workflowsDir, url, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withCluster(ClusterSettings settings) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, settings, security, observability, secrets);
    }

    public Config withStreams(StreamSettings timings) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, timings, allowedOrigins, cluster, security, observability, secrets);
    }

    public Config withSecurity(SecuritySettings settings) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, settings, observability, secrets);
    }

    public Config withObservability(LogSettings settings) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, settings, secrets);
    }

    public Config withSecrets(SecretsSettings settings) {
        return new Config(host, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability, settings);
    }

    public Config withHost(String newHost) {
        return new Config(newHost, port, store, workflowsDir, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability, secrets);
    }

    // --- the settings this package owns; the others are in their packages' settings records ---

    static final Setting<String> HOST = Setting.text("host", "HOST", "127.0.0.1", "Address to bind.");
    static final Setting<Integer> PORT = Setting.integer("port", 8080, 0, 65535, "Port to listen on, 0 for any free port.");
    static final Setting<String> WORKFLOWS_DIR = Setting.text("workflows-dir", "DIR", "./workflows",
            "Workflow files loaded at start-up.");
    static final Setting<String> REDIS = Setting.of("redis", "URL", null, "Redis broker for several nodes (redis://HOST:PORT).",
            text -> {
                if (!text.matches("rediss?://[^/\\s]+(/\\d+)?/?")) {
                    throw new IllegalArgumentException("expected a Redis URL (redis://HOST:PORT), got \""
                            + Redact.url(text) + "\"");
                }
                return text;
            });
    /** Public: {@code workflows check} takes it too, since the validator refuses script steps without it. */
    public static final Setting<Boolean> ALLOW_SCRIPTS = Setting.bool("allow-scripts", "Allow script steps (off by default).");
    static final Setting<Boolean> INSECURE = Setting.bool("insecure", "Allow binding a non-loopback address without credentials.");
    static final Setting<Integer> MAX_CONCURRENT_RUNS = Setting.integer("max-concurrent-runs", 64, 1, 100_000,
            "Runs executed at once.");
    static final Setting<Integer> MAX_QUEUED_RUNS = Setting.integer("max-queued-runs", 10_000, 1, 10_000_000,
            "Runs that may wait for a slot.");
    static final Setting<List<String>> ALLOWED_ORIGINS = Setting.lowerCaseList("allowed-origins", "ORIGINS",
            "Browser origins (comma list, e.g. https://ops.example.com) allowed besides the server's own: to open streams,"
                    + " send changes and read answers (CORS).",
            origin -> origin.matches("https?://[^/\\s]+"), "origins like https://ops.example.com").defaultShownAs("none");

    /** Every setting of {@code serve}, in the order {@code --help} lists them: the one table. */
    public static final List<Setting<?>> SETTINGS = Stream.of(
                    List.of(HOST, PORT),
                    StoreSettings.ALL,
                    List.of(WORKFLOWS_DIR, REDIS, ALLOW_SCRIPTS, INSECURE, MAX_CONCURRENT_RUNS, MAX_QUEUED_RUNS),
                    StreamSettings.ALL,
                    List.of(ALLOWED_ORIGINS),
                    ClusterSettings.ALL,
                    SecuritySettings.ALL,
                    SecretsSettings.ALL,
                    LogSettings.ALL,
                    List.of(Settings.CONFIG))
            .<Setting<?>>flatMap(List::stream).toList();

    /**
     * Resolves the settings.
     * @param flags values given on the command line, by setting name (absent when not given)
     * @param env   the environment
     * @throws ConfigException naming the flag, variable or file key and what is wrong with it
     */
    public static Config resolve(Map<String, String> flags, Map<String, String> env) {
        Settings settings = Settings.of(SETTINGS, flags, env);
        String host = settings.get(HOST);
        StoreSettings store = StoreSettings.from(settings);
        String redis = settings.get(REDIS);
        if (redis != null && !store.postgres()) {
            throw settings.wrong(REDIS, "a Redis broker serves nodes that share a PostgreSQL store;"
                    + " give --db jdbc:postgresql://… too (the embedded SQLite store serves one node)");
        }
        ClusterSettings cluster = ClusterSettings.from(settings);
        boolean insecure = settings.get(INSECURE);
        SecuritySettings security = SecuritySettings.from(settings);
        if (!isLoopback(host, settings) && !insecure && !security.credentials()) {
            throw settings.wrong(HOST, "refusing to listen on " + host
                    + " without credentials (--tokens-file, --jwt-secret or --jwt-public-key); bind 127.0.0.1,"
                    + " configure credentials, or pass --insecure if this network is trusted");
        }
        return new Config(host, settings.get(PORT), store, workflowsDir(settings), redis,
                settings.get(ALLOW_SCRIPTS), insecure, settings.get(MAX_CONCURRENT_RUNS), settings.get(MAX_QUEUED_RUNS),
                StreamSettings.from(settings), settings.get(ALLOWED_ORIGINS), cluster, security, LogSettings.from(settings),
                SecretsSettings.from(settings, store.dataDir()));
    }

    /**
     * The workflows directory. A missing one loads nothing (scripts and tests point at one on
     * purpose, and a node may take its workflows over the API only); but a path that is there and
     * is not a directory is a mistake, which would start a server without its workflows.
     */
    private static Path workflowsDir(Settings settings) {
        Path dir = Path.of(settings.get(WORKFLOWS_DIR));
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw settings.wrong(WORKFLOWS_DIR, dir.toAbsolutePath() + " is not a directory");
        }
        return dir;
    }

    /**
     * Whether every client that reaches the server may do anything: no credentials, and bound
     * beyond loopback ({@code --insecure}; without it such a bind is refused).
     */
    public boolean openToTheNetwork() {
        if (security.credentials()) {
            return false;
        }
        try {
            return !InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return true; // not at start: resolve refused an unknown host
        }
    }

    private static boolean isLoopback(String host, Settings settings) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw settings.wrong(HOST, "unknown host \"" + host + "\"");
        }
    }
}
