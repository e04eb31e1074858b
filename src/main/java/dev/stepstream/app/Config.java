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
                     StreamTimings streams, java.util.List<String> allowedOrigins, Cluster cluster,
                     Security security, Observability observability) {

    /**
     * Credentials, TLS, proxies, outbound HTTP and limits (docs/security.md). With neither a
     * tokens file nor JWT settings, the server has no credentials: it is open, and binds
     * loopback only unless {@code --insecure}.
     *
     * @param tokensFile   {@code --tokens-file}: NAME ROLE sha256:HEX lines, or null
     * @param jwtSecret    {@code --jwt-secret}: the HS256 secret (32 bytes or more), or null
     * @param jwtPublicKey {@code --jwt-public-key}: a PEM RSA public key file for RS256, or null
     * @param jwtIssuer    {@code --jwt-issuer}: the {@code iss} a JWT must carry, or null for any
     * @param jwtAudience  {@code --jwt-audience}: a value {@code aud} must hold, or null for any
     * @param trustProxy   {@code --trust-proxy}: honour X-Forwarded-Host/-Proto/-For from a proxy in front
     * @param tlsCert      {@code --tls-cert}: a PEM certificate chain; with {@code tlsKey}, serve HTTPS and WSS
     * @param tlsKey       {@code --tls-key}: its PEM private key (PKCS#8 or PKCS#1)
     * @param httpAllow    {@code --http-allow}: host patterns {@code http} steps may reach; empty: any host
     *                     but this server itself and link-local (cloud metadata) addresses
     */
    public record Security(Path tokensFile, String jwtSecret, Path jwtPublicKey, String jwtIssuer, String jwtAudience,
                           boolean trustProxy, Path tlsCert, Path tlsKey, java.util.List<String> httpAllow, Limits limits) {
        /** No credentials, no TLS, default limits: what the existing tests and a laptop run with. */
        public static final Security NONE = new Security(null, null, null, null, null, false, null, null,
                java.util.List.of(), Limits.DEFAULTS);

        /** As a record would print itself, with the JWT secret left out: a secret must not reach a log. */
        @Override
        public String toString() {
            return "Security[tokensFile=" + tokensFile + ", jwtSecret=" + (jwtSecret == null ? "none" : "(set)")
                    + ", jwtPublicKey=" + jwtPublicKey + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience
                    + ", trustProxy=" + trustProxy + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + ", httpAllow=" + httpAllow
                    + ", limits=" + limits + "]";
        }

        /** Whether any credentials are configured: then every route but the probes and the page needs a token. */
        public boolean credentials() {
            return tokensFile != null || jwtSecret != null || jwtPublicKey != null;
        }

        public Security withTokensFile(Path file) {
            return new Security(file, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
        }

        public Security withJwtSecret(String secret) {
            return new Security(tokensFile, secret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
        }

        public Security withJwtPublicKey(Path key) {
            return new Security(tokensFile, jwtSecret, key, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, limits);
        }

        public Security withTrustProxy(boolean trust) {
            return new Security(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trust, tlsCert, tlsKey, httpAllow, limits);
        }

        public Security withTls(Path cert, Path key) {
            return new Security(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, cert, key, httpAllow, limits);
        }

        public Security withHttpAllow(java.util.List<String> patterns) {
            return new Security(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, patterns, limits);
        }

        public Security withLimits(Limits newLimits) {
            return new Security(tokensFile, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, trustProxy, tlsCert, tlsKey, httpAllow, newLimits);
        }
    }

    /** {@code permits} per {@code period}, refilled smoothly; a burst may use all of them at once. */
    public record Rate(long permits, Duration period) {
        @Override
        public String toString() {
            return permits + "/" + (period.equals(Duration.ofSeconds(1)) ? "s" : period.equals(Duration.ofMinutes(1)) ? "min" : "h");
        }
    }

    /**
     * What one client, and everyone together, may hold. A client is a token (its name), a JWT
     * subject, or an IP address for requests without valid credentials. On a server without
     * credentials, clients on this machine (loopback) are not held to the per-client limits.
     *
     * @param requests             {@code --rate-limit}: requests per client (429 and Retry-After past it)
     * @param streams              {@code --stream-rate-limit}: stream opens (WebSocket upgrades, SSE) per client
     * @param maxConnections       {@code --max-connections}: open TCP connections in all (503 past it)
     * @param maxStreamsPerClient  {@code --max-streams-per-client}: open streams of one client (429 past it)
     * @param maxSubscribersPerRun {@code --max-subscribers-per-run}: open streams of one run (503 past it)
     * @param requestTimeout       {@code --request-timeout}: a request's head, and its body, must arrive within this (slowloris)
     * @param idleTimeout          {@code --idle-timeout}: a connection with no traffic either way for this long is closed
     */
    public record Limits(Rate requests, Rate streams, int maxConnections, int maxStreamsPerClient, int maxSubscribersPerRun,
                         Duration requestTimeout, Duration idleTimeout) {
        public static final Limits DEFAULTS = new Limits(new Rate(100, Duration.ofSeconds(1)), new Rate(50, Duration.ofSeconds(1)),
                50_000, 1_000, 20_000, Duration.ofSeconds(30), Duration.ofSeconds(180));
    }

    /**
     * Liveness of stream connections (docs/api.md, "The run stream"): a ping frame every
     * {@code pingInterval}; a connection from which nothing arrived for {@code idleTimeout} is
     * closed; a write that cannot complete within {@code writeTimeout} closes it with 1013 (and a
     * client that has not answered the server's close frame within it is disconnected); SSE
     * streams get a comment line every {@code sseKeepAlive}.
     */
    public record StreamTimings(Duration pingInterval, Duration idleTimeout, Duration writeTimeout, Duration sseKeepAlive) {
        public static final StreamTimings DEFAULTS = new StreamTimings(
                Duration.ofSeconds(54), Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(15));
    }

    /**
     * How this node takes part in a cluster (DESIGN.md "Scale"): its id in the store (the
     * owner of the runs it claims); its lease, renewed every third of it, past which another
     * node marks its running runs interrupted; and how often it polls the store for queued runs
     * and cancels, and for events of followed runs that Redis did not bring (or all of them,
     * while Redis is down).
     */
    public record Cluster(String nodeId, Duration lease, Duration pollInterval) {
        public static Cluster defaults() {
            return new Cluster(defaultNodeId(), Duration.ofSeconds(15), Duration.ofSeconds(1));
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
    public record Observability(dev.stepstream.logging.LogFormat logFormat, boolean echoStepLogs) {
        public static final Observability DEFAULTS = new Observability(dev.stepstream.logging.LogFormat.TEXT, false);
    }

    /** Every setting's name, as a flag without its dashes. */
    static final Set<String> NAMES = Set.of("host", "port", "data-dir", "workflows-dir", "db", "redis",
            "allow-scripts", "insecure", "max-concurrent-runs", "max-queued-runs", "ws-ping-interval",
            "ws-idle-timeout", "write-timeout", "sse-keep-alive", "allowed-origins", "config", "node-id", "lease",
            "poll-interval",
            "tokens-file", "jwt-secret", "jwt-public-key", "jwt-issuer", "jwt-audience", "trust-proxy", "tls-cert", "tls-key",
            "http-allow", "rate-limit", "stream-rate-limit", "max-connections", "max-streams-per-client",
            "max-subscribers-per-run", "request-timeout", "idle-timeout", "log-format", "echo-step-logs");

    /** Defaults for a test or an embedding: loopback, a free port, everything under {@code dataDir}. */
    public static Config forTests(Path dataDir) {
        return new Config("127.0.0.1", 0, dataDir, dataDir.resolve("workflows"), null, null, true, false, 64, 10_000,
                StreamTimings.DEFAULTS, java.util.List.of(), Cluster.defaults(), Security.NONE,
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

    public Config withAllowedOrigins(java.util.List<String> origins) {
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

    public Config withStreams(StreamTimings timings) {
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns, timings, allowedOrigins, cluster, security, observability);
    }

    public Config withSecurity(Security settings) {
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
        if (redis != null && !redis.matches("rediss?://[^/\\s]+(/\\d+)?/?")) {
            throw new ConfigException(sources.origin("redis") + ": expected a Redis URL (redis://HOST:PORT), got \""
                    + redis.replaceAll("//[^/@]*@", "//***@") + "\"");
        }
        if (redis != null && (db == null || !db.startsWith("jdbc:postgresql:"))) {
            throw new ConfigException(sources.origin("redis") + ": a Redis broker serves nodes that share a PostgreSQL store;"
                    + " give --db jdbc:postgresql://… too (the embedded SQLite store serves one node)");
        }
        String nodeId = sources.text("node-id", null);
        if (nodeId != null && !nodeId.matches("[A-Za-z0-9_.-]{1,100}")) {
            throw new ConfigException(sources.origin("node-id") + ": expected 1 to 100 letters, digits, '.', '_' or '-', got \""
                    + nodeId + "\"");
        }
        Cluster clusterDefaults = Cluster.defaults();
        Cluster cluster = new Cluster(nodeId == null ? clusterDefaults.nodeId() : nodeId,
                sources.duration("lease", clusterDefaults.lease()),
                sources.duration("poll-interval", clusterDefaults.pollInterval()));
        if (cluster.lease().compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException(sources.origin("lease") + ": must be at least 1s, got \"" + sources.raw("lease") + "\"");
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
        Security security = SecuritySettings.resolve(sources);
        if (!isLoopback(host, sources) && !insecure && !security.credentials()) {
            throw new ConfigException(sources.origin("host") + ": refusing to listen on " + host
                    + " without credentials (--tokens-file, --jwt-secret or --jwt-public-key); bind 127.0.0.1,"
                    + " configure credentials, or pass --insecure if this network is trusted");
        }
        Observability observability = new Observability(sources.logFormat("log-format"), sources.bool("echo-step-logs"));
        return new Config(host, port, dataDir, workflowsDir, db, redis, allowScripts, insecure, maxConcurrentRuns, maxQueuedRuns,
                streams, allowedOrigins, cluster, security, observability);
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
    static final class Sources {
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
