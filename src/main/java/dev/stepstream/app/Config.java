package dev.stepstream.app;

import dev.stepstream.logging.LogFormat;
import dev.stepstream.security.SecuritySettings;
import dev.stepstream.settings.ConfigException;
import dev.stepstream.settings.Setting;
import dev.stepstream.settings.Settings;
import dev.stepstream.stream.StreamSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The server's settings, validated once at start-up. Each is a {@link Setting} declared once,
 * by the package that uses it ({@code StreamSettings}, {@code SecuritySettings}, the rest here),
 * and listed in {@link #SETTINGS}, from which {@code serve}'s options are made; each value
 * comes from, in order of precedence, its flag ({@code --port}), its variable
 * ({@code STEPSTREAM_PORT}), the config file given with {@code --config} (YAML, keys spelled
 * like the flags: {@code port: 9090}), or its default.
 */
public record Config(String host, int port, Path dataDir, Path workflowsDir, String db, String redis,
                     boolean allowScripts, boolean insecure, int maxConcurrentRuns, int maxQueuedRuns,
                     StreamSettings streams, List<String> allowedOrigins, Cluster cluster,
                     SecuritySettings security, Observability observability) {

    /**
     * How this node takes part in a cluster (DESIGN.md "Scale"): its id in the store (the
     * owner of the runs it claims); its lease, renewed every third of it, past which another
     * node marks its running runs interrupted; and how often it polls the store for queued runs
     * and cancels, and for events of followed runs that Redis did not bring (or all of them,
     * while Redis is down).
     */
    public record Cluster(String nodeId, Duration lease, Duration pollInterval) {
        public static Cluster defaults() {
            return new Cluster(defaultNodeId(), LEASE.defaultValue(), POLL_INTERVAL.defaultValue());
        }

        /** The host name and a random suffix: unique per process, readable in the store. */
        static String defaultNodeId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "node";
            }
            return host.replaceAll("[^A-Za-z0-9_.-]", "") + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        }
    }

    /**
     * What the server tells operators beyond its metrics: the format of its log lines, and
     * whether every {@code step_log} is also written to its console (for debugging workflows).
     */
    public record Observability(LogFormat logFormat, boolean echoStepLogs) {
        public static final Observability DEFAULTS = new Observability(LogFormat.TEXT, false);
    }

    /** Defaults for a test or an embedding: loopback, a free port, everything under {@code dataDir}. */
    public static Config forTests(Path dataDir) {
        return new Config("127.0.0.1", 0, dataDir, dataDir.resolve("workflows"), null, null, true, false, 64, 10_000,
                StreamSettings.DEFAULTS, List.of(), Cluster.defaults(), SecuritySettings.NONE,
                Observability.DEFAULTS);
    }

    public Config withAllowScripts(boolean allow) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allow, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability);
    }

    public Config withMaxConcurrentRuns(int max) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, max, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability);
    }

    public Config withWorkflowsDir(Path dir) {
        return new Config(host, port, dataDir, dir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, streams, allowedOrigins, cluster, security, observability);
    }

    public Config withAllowedOrigins(List<String> origins) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, origins, cluster, security, observability);
    }

    public Config withDb(String jdbcUrl) {
        return new Config(host, port, dataDir, workflowsDir, jdbcUrl, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability);
    }

    public Config withRedis(String url) {
        return new Config(host, port, dataDir, workflowsDir, db, url, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability);
    }

    public Config withCluster(Cluster settings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, settings, security, observability);
    }

    public Config withStreams(StreamSettings timings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, timings, allowedOrigins, cluster, security, observability);
    }

    public Config withSecurity(SecuritySettings settings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, settings, observability);
    }

    public Config withObservability(Observability settings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, settings);
    }

    public Config withHost(String newHost) {
        return new Config(newHost, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability);
    }

    // --- the settings this package owns; the others are in their packages' settings records ---

    static final Setting<String> HOST = Setting.text("host", "HOST", "127.0.0.1", "Address to bind.");
    static final Setting<Integer> PORT = Setting.integer("port", 8080, 0, 65535, "Port to listen on, 0 for any free port.");
    static final Setting<String> DATA_DIR = Setting.text("data-dir", "DIR", "./data", "Where the embedded database lives.");
    static final Setting<String> WORKFLOWS_DIR = Setting.text("workflows-dir", "DIR", "./workflows",
            "Workflow files loaded at start-up.");
    static final Setting<String> DB = Setting.of("db", "JDBC_URL", null,
            "A PostgreSQL JDBC URL instead of the embedded SQLite file.", text -> {
                if (!text.startsWith("jdbc:postgresql:") && !text.startsWith("jdbc:sqlite:")) {
                    throw new IllegalArgumentException("expected a JDBC URL (jdbc:postgresql://HOST/DB), got \"" + text + "\"");
                }
                return text;
            });
    static final Setting<String> REDIS = Setting.of("redis", "URL", null, "Redis broker for several nodes (redis://HOST:PORT).",
            text -> {
                if (!text.matches("rediss?://[^/\\s]+(/\\d+)?/?")) {
                    throw new IllegalArgumentException("expected a Redis URL (redis://HOST:PORT), got \""
                            + text.replaceAll("//[^/@]*@", "//***@") + "\"");
                }
                return text;
            });
    static final Setting<Boolean> ALLOW_SCRIPTS = Setting.bool("allow-scripts", "Allow script steps (off by default).");
    static final Setting<Boolean> INSECURE = Setting.bool("insecure", "Allow binding a non-loopback address without credentials.");
    static final Setting<Integer> MAX_CONCURRENT_RUNS = Setting.integer("max-concurrent-runs", 64, 1, 100_000,
            "Runs executed at once.");
    static final Setting<Integer> MAX_QUEUED_RUNS = Setting.integer("max-queued-runs", 10_000, 1, 10_000_000,
            "Runs that may wait for a slot.");
    static final Setting<List<String>> ALLOWED_ORIGINS = Setting.of("allowed-origins", "ORIGINS", List.<String>of(),
            "Browser origins (comma list, e.g. https://ops.example.com) allowed to open streams besides the server's own.",
            Config::origins).defaultShownAs("none");
    static final Setting<String> NODE_ID = Setting.of("node-id", "ID", null, "This node's name in the shared store.",
            text -> {
                if (!text.matches("[A-Za-z0-9_.-]{1,100}")) {
                    throw new IllegalArgumentException("expected 1 to 100 letters, digits, '.', '_' or '-', got \"" + text + "\"");
                }
                return text;
            }).defaultShownAs("host name and a random suffix");
    static final Setting<Duration> LEASE = Setting.duration("lease", Duration.ofSeconds(15),
            "Node lease; another node marks this one's running runs interrupted once it lapses.");
    static final Setting<Duration> POLL_INTERVAL = Setting.duration("poll-interval", Duration.ofSeconds(1),
            "How often the store is polled for queued runs, cancels, and events Redis did not bring.");
    static final Setting<LogFormat> LOG_FORMAT = Setting.of("log-format", "FORMAT", LogFormat.TEXT,
            "Log lines as text or json (one object a line, for log shippers).", LogFormat::fromWire).defaultShownAs("text");
    static final Setting<Boolean> ECHO_STEP_LOGS = Setting.bool("echo-step-logs",
            "Also write every step_log of every run to the server's log (for debugging workflows).");

    /** Every setting of {@code serve}, in the order {@code --help} lists them: the one table. */
    public static final List<Setting<?>> SETTINGS = Stream.of(
                    List.of(HOST, PORT, DATA_DIR, WORKFLOWS_DIR, DB, REDIS, ALLOW_SCRIPTS, INSECURE, MAX_CONCURRENT_RUNS,
                            MAX_QUEUED_RUNS),
                    StreamSettings.ALL,
                    List.of(ALLOWED_ORIGINS, NODE_ID, LEASE, POLL_INTERVAL),
                    SecuritySettings.ALL,
                    List.of(LOG_FORMAT, ECHO_STEP_LOGS, Settings.CONFIG))
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
        String db = settings.get(DB);
        String redis = settings.get(REDIS);
        if (redis != null && (db == null || !db.startsWith("jdbc:postgresql:"))) {
            throw settings.wrong(REDIS, "a Redis broker serves nodes that share a PostgreSQL store;"
                    + " give --db jdbc:postgresql://… too (the embedded SQLite store serves one node)");
        }
        String nodeId = settings.get(NODE_ID);
        Cluster cluster = new Cluster(nodeId == null ? Cluster.defaultNodeId() : nodeId, settings.get(LEASE),
                settings.get(POLL_INTERVAL));
        if (cluster.lease().compareTo(Duration.ofSeconds(1)) < 0) {
            throw settings.wrong(LEASE, "must be at least 1s, got \"" + settings.raw(LEASE) + "\"");
        }
        boolean insecure = settings.get(INSECURE);
        SecuritySettings security = SecuritySettings.from(settings);
        if (!isLoopback(host, settings) && !insecure && !security.credentials()) {
            throw settings.wrong(HOST, "refusing to listen on " + host
                    + " without credentials (--tokens-file, --jwt-secret or --jwt-public-key); bind 127.0.0.1,"
                    + " configure credentials, or pass --insecure if this network is trusted");
        }
        return new Config(host, settings.get(PORT), Path.of(settings.get(DATA_DIR)), Path.of(settings.get(WORKFLOWS_DIR)),
                db, redis, settings.get(ALLOW_SCRIPTS), insecure, settings.get(MAX_CONCURRENT_RUNS),
                settings.get(MAX_QUEUED_RUNS), StreamSettings.from(settings), settings.get(ALLOWED_ORIGINS), cluster, security,
                new Observability(settings.get(LOG_FORMAT), settings.get(ECHO_STEP_LOGS)));
    }

    private static boolean isLoopback(String host, Settings settings) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw settings.wrong(HOST, "unknown host \"" + host + "\"");
        }
    }

    /** A comma list of origins, each scheme://host[:port], normalised to lower case. */
    private static List<String> origins(String text) {
        if (text.isBlank()) {
            return List.of();
        }
        List<String> origins = new ArrayList<>();
        for (String origin : text.split(",")) {
            String trimmed = origin.trim().toLowerCase(Locale.ROOT);
            if (!trimmed.matches("https?://[^/\\s]+")) {
                throw new IllegalArgumentException("expected origins like https://ops.example.com, got \"" + origin.trim() + "\"");
            }
            origins.add(trimmed);
        }
        return List.copyOf(origins);
    }
}
