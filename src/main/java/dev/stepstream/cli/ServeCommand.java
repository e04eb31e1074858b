package dev.stepstream.cli;

import dev.stepstream.app.Config;
import dev.stepstream.app.Server;
import dev.stepstream.logging.Logging;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stepstream serve}: runs a node until it is stopped (SIGTERM, Ctrl-C). Options are
 * kept as text here and resolved with the environment and the config file by {@link Config}.
 */
@Command(name = "serve", description = "Run the server (each flag can also be set as STEPSTREAM_<FLAG>).",
        mixinStandardHelpOptions = true, versionProvider = Cli.Version.class)
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default 127.0.0.1).")
    String host;
    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on, 0 for any free port (default 8080).")
    String port;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the embedded database lives (default ./data).")
    String dataDir;
    @Option(names = "--workflows-dir", paramLabel = "DIR", description = "Workflow files loaded at start-up (default ./workflows).")
    String workflowsDir;
    @Option(names = "--db", paramLabel = "JDBC_URL", description = "A PostgreSQL JDBC URL instead of the embedded SQLite file.")
    String db;
    @Option(names = "--redis", paramLabel = "URL", description = "Redis broker for several nodes (redis://HOST:PORT).")
    String redis;
    @Option(names = "--allow-scripts", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Allow script steps (off by default).")
    String allowScripts;
    @Option(names = "--insecure", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Allow binding a non-loopback address without credentials.")
    String insecure;
    @Option(names = "--max-concurrent-runs", paramLabel = "N", description = "Runs executed at once (default 64).")
    String maxConcurrentRuns;
    @Option(names = "--max-queued-runs", paramLabel = "N", description = "Runs that may wait for a slot (default 10000).")
    String maxQueuedRuns;
    @Option(names = "--ws-ping-interval", paramLabel = "DURATION", description = "WebSocket ping frame interval (default 54s).")
    String wsPingInterval;
    @Option(names = "--ws-idle-timeout", paramLabel = "DURATION",
            description = "Close a WebSocket from which nothing arrived for this long (default 60s).")
    String wsIdleTimeout;
    @Option(names = "--write-timeout", paramLabel = "DURATION",
            description = "Close a stream whose write cannot complete within this, and a WebSocket whose client has not"
                    + " answered the server's close frame within this (default 10s).")
    String writeTimeout;
    @Option(names = "--sse-keep-alive", paramLabel = "DURATION", description = "SSE comment line interval (default 15s).")
    String sseKeepAlive;
    @Option(names = "--allowed-origins", paramLabel = "ORIGINS",
            description = "Browser origins (comma list, e.g. https://ops.example.com) allowed to open streams besides the server's own.")
    String allowedOrigins;
    @Option(names = "--node-id", paramLabel = "ID",
            description = "This node's name in the shared store (default: host name and a random suffix).")
    String nodeId;
    @Option(names = "--lease", paramLabel = "DURATION",
            description = "Node lease; another node marks this one's running runs interrupted once it lapses (default 15s).")
    String lease;
    @Option(names = "--poll-interval", paramLabel = "DURATION",
            description = "How often the store is polled for queued runs, cancels, and events Redis did not bring (default 1s).")
    String pollInterval;
    @Option(names = "--tokens-file", paramLabel = "FILE", description = "Bearer tokens with roles (NAME ROLE sha256:HEX lines; see stepstream token create).")
    String tokensFile;
    @Option(names = "--jwt-secret", paramLabel = "SECRET", description = "Accept JWTs signed with this HS256 secret (32+ bytes; prefer STEPSTREAM_JWT_SECRET).")
    String jwtSecret;
    @Option(names = "--jwt-public-key", paramLabel = "FILE", description = "Accept JWTs signed RS256 with this PEM RSA public key.")
    String jwtPublicKey;
    @Option(names = "--jwt-issuer", paramLabel = "ISS", description = "The iss claim a JWT must carry.")
    String jwtIssuer;
    @Option(names = "--jwt-audience", paramLabel = "AUD", description = "A value the aud claim of a JWT must hold.")
    String jwtAudience;
    @Option(names = "--trust-proxy", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Honour X-Forwarded-Host/-Proto/-For from a reverse proxy in front.")
    String trustProxy;
    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain: serve HTTPS and WSS (with --tls-key).")
    String tlsCert;
    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert.")
    String tlsKey;
    @Option(names = "--http-allow", paramLabel = "HOSTS", description = "Host patterns http steps may reach (comma list: api.example.com, *.example.com, 10.0.0.5:8080).")
    String httpAllow;
    @Option(names = "--rate-limit", paramLabel = "RATE", description = "Requests per client (default 100/s).")
    String rateLimit;
    @Option(names = "--stream-rate-limit", paramLabel = "RATE", description = "Stream opens per client (default 50/s).")
    String streamRateLimit;
    @Option(names = "--max-connections", paramLabel = "N", description = "Open connections in all (default 50000).")
    String maxConnections;
    @Option(names = "--max-streams-per-client", paramLabel = "N", description = "Open streams of one client (default 1000).")
    String maxStreamsPerClient;
    @Option(names = "--max-subscribers-per-run", paramLabel = "N", description = "Open streams of one run (default 20000).")
    String maxSubscribersPerRun;
    @Option(names = "--request-timeout", paramLabel = "DURATION", description = "A request's head, and its body, must arrive within this (default 30s).")
    String requestTimeout;
    @Option(names = "--idle-timeout", paramLabel = "DURATION", description = "Close a connection idle this long (default 180s).")
    String idleTimeout;
    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "Log lines as text (default) or json (one object a line, for log shippers).")
    String logFormat;
    @Option(names = "--echo-step-logs", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Also write every step_log of every run to the server's log (for debugging workflows).")
    String echoStepLogs;
    @Option(names = "--config", paramLabel = "FILE", description = "A YAML file of settings (keys spelled like the flags).")
    String config;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> flags = new LinkedHashMap<>();
        put(flags, "host", host);
        put(flags, "port", port);
        put(flags, "data-dir", dataDir);
        put(flags, "workflows-dir", workflowsDir);
        put(flags, "db", db);
        put(flags, "redis", redis);
        put(flags, "allow-scripts", allowScripts);
        put(flags, "insecure", insecure);
        put(flags, "max-concurrent-runs", maxConcurrentRuns);
        put(flags, "max-queued-runs", maxQueuedRuns);
        put(flags, "ws-ping-interval", wsPingInterval);
        put(flags, "ws-idle-timeout", wsIdleTimeout);
        put(flags, "write-timeout", writeTimeout);
        put(flags, "sse-keep-alive", sseKeepAlive);
        put(flags, "allowed-origins", allowedOrigins);
        put(flags, "node-id", nodeId);
        put(flags, "lease", lease);
        put(flags, "poll-interval", pollInterval);
        put(flags, "tokens-file", tokensFile);
        put(flags, "jwt-secret", jwtSecret);
        put(flags, "jwt-public-key", jwtPublicKey);
        put(flags, "jwt-issuer", jwtIssuer);
        put(flags, "jwt-audience", jwtAudience);
        put(flags, "trust-proxy", trustProxy);
        put(flags, "tls-cert", tlsCert);
        put(flags, "tls-key", tlsKey);
        put(flags, "http-allow", httpAllow);
        put(flags, "rate-limit", rateLimit);
        put(flags, "stream-rate-limit", streamRateLimit);
        put(flags, "max-connections", maxConnections);
        put(flags, "max-streams-per-client", maxStreamsPerClient);
        put(flags, "max-subscribers-per-run", maxSubscribersPerRun);
        put(flags, "request-timeout", requestTimeout);
        put(flags, "idle-timeout", idleTimeout);
        put(flags, "log-format", logFormat);
        put(flags, "echo-step-logs", echoStepLogs);
        put(flags, "config", config);
        Config resolved = Config.resolve(flags, System.getenv());
        Logging.use(resolved.observability().logFormat());

        Server server = Server.start(resolved);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "shutdown"));
        System.out.println("stepstream listening on " + server.url()
                + " (store: " + (resolved.db() == null ? resolved.dataDir().resolve("stepstream.db") : "postgresql")
                + (resolved.db() == null ? "" : ", node " + resolved.cluster().nodeId())
                + (resolved.redis() == null ? "" : ", broker: redis")
                + ", scripts " + (resolved.allowScripts() ? "allowed" : "disabled")
                + ", " + (resolved.security().credentials() ? "tokens required" : "no credentials: open to this machine") + ")");
        System.out.flush();
        stopped.await();
        return Cli.OK;
    }

    private static void put(Map<String, String> flags, String name, String value) {
        if (value != null) {
            flags.put(name, value);
        }
    }
}
