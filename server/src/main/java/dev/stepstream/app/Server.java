package dev.stepstream.app;

import dev.stepstream.api.AccessLog;
import dev.stepstream.api.HooksApi;
import dev.stepstream.api.HttpApi;
import dev.stepstream.api.OperationsApi;
import dev.stepstream.api.Readiness;
import dev.stepstream.api.SecretsApi;
import dev.stepstream.broker.Broker;
import dev.stepstream.broker.LocalBroker;
import dev.stepstream.broker.PollingBroker;
import dev.stepstream.broker.RedisBroker;
import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.ClusterSettings;
import dev.stepstream.execution.Executor;
import dev.stepstream.execution.NodeIds;
import dev.stepstream.execution.RunDeleter;
import dev.stepstream.execution.RunListener;
import dev.stepstream.execution.Scheduler;
import dev.stepstream.execution.SecretSource;
import dev.stepstream.files.PrivateFiles;
import dev.stepstream.logging.StepLogEcho;
import dev.stepstream.metrics.Metrics;
import dev.stepstream.retention.ProcessorLoad;
import dev.stepstream.retention.Sweeper;
import dev.stepstream.secrets.DefinedSecrets;
import dev.stepstream.secrets.Vault;
import dev.stepstream.security.Security;
import dev.stepstream.settings.ConfigException;
import dev.stepstream.settings.Redact;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.stream.Hub;
import dev.stepstream.stream.StreamRoutes;
import dev.stepstream.time.Clock;
import dev.stepstream.web.WebRoutes;
import dev.stepstream.workflow.HttpTargets;
import dev.stepstream.workflow.WorkflowCatalog;
import dev.stepstream.workflow.WorkflowValidator;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stepstream node: the store, the event log, the executor, the scheduler and the HTTP edge, started and
 * stopped in dependency order. {@link #start} returns once the node listens.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);
    /** Events waiting for the committer before producers block; about 8 MB of small events. */
    private static final int EVENT_QUEUE_CAPACITY = 16_384;
    private static final int MAX_COMMIT_BATCH = 4_096;
    /** Event loops serving HTTP and streams: one per core. */
    private static final int EVENT_LOOPS = Runtime.getRuntime().availableProcessors();

    private final Config config;
    private final Store store;
    private final EventLog eventLog;
    private final Executor executor;
    private final Scheduler scheduler;
    private final Sweeper sweeper;
    private final Hub hub;
    private final Broker broker;
    private final StreamRoutes streams;
    /** The API routes' handlers, each with the threads it blocks on, and the secrets' poller: closed after the executor. */
    private final List<AutoCloseable> apis;
    private final Security security;
    private final OperationsApi operations;
    private final Metrics metrics;
    private final Vertx vertx;
    private final Router router;
    private final List<HttpServer> servers;
    /** The data directory's lock (the embedded store), else nothing: released last. */
    private final AutoCloseable dataDirLock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Server(AutoCloseable dataDirLock, Config config, Store store, EventLog eventLog, Executor executor, Scheduler scheduler, Sweeper sweeper,
                   Hub hub, Broker broker,
                   StreamRoutes streams, List<AutoCloseable> apis, Security security, OperationsApi operations, Metrics metrics,
                   Vertx vertx, Router router, List<HttpServer> servers) {
        this.dataDirLock = dataDirLock;
        this.security = security;
        this.router = router;
        this.operations = operations;
        this.metrics = metrics;
        this.hub = hub;
        this.broker = broker;
        this.streams = streams;
        this.config = config;
        this.store = store;
        this.eventLog = eventLog;
        this.executor = executor;
        this.scheduler = scheduler;
        this.sweeper = sweeper;
        this.apis = apis;
        this.vertx = vertx;
        this.servers = servers;
    }

    public static Server start(Config config) {
        return start(config, Clock.system());
    }

    /** A node whose time-driven work (leases, heartbeats, polls, token expiry, rate limits, schedules) reads {@code clock}. */
    public static Server start(Config config, Clock clock) {
        // The port first (port 0 is resolved now): http steps may not call this server itself.
        int port = config.port() == 0 ? freePort(config.host()) : requireFree(config.host(), config.port());
        AutoCloseable dataDirLock = () -> { };
        if (config.db() == null) {
            requireDirectory(config.dataDir());
            dataDirLock = DataDirLock.acquire(config.dataDir()); // one server per embedded store
        }
        try {
            return start(config, clock, port, dataDirLock);
        } catch (RuntimeException | Error e) {
            closeQuietly(dataDirLock);
            throw e;
        }
    }

    private static Server start(Config config, Clock clock, int port, AutoCloseable dataDirLock) {
        HttpTargets httpTargets = HttpTargets.of(config.security().httpAllow(), port);
        Metrics metrics = new Metrics(version());
        Store store = openStore(config);
        if (config.db() != null) {
            requireOwnNodeId(store, config.cluster(), clock);
        }
        Vault vault;
        try {
            vault = Vault.open(store, config.secrets());
        } catch (IllegalArgumentException e) {
            store.close();
            throw new ConfigException(e.getMessage());
        }
        vault.locked().ifPresent(why -> log.warn("secrets cannot be read on this node: {}", why));
        if (vault.locked().isEmpty() && vault.hasPreviousKey()) {
            int older = vault.keysUnderPreviousKey();
            if (older > 0) {
                log.info("secrets: {} data key(s) still open only with the previous master key; once every node holds the new"
                        + " one, run `stepstream secrets rotate-key`", older);
            } else {
                log.info("secrets: the previous master key opens nothing any longer and can be removed from this node's settings");
            }
        }
        ClusterSettings cluster = config.cluster();
        // Before anything runs: every run masks every secret defined, from its first event.
        DefinedSecrets definedSecrets = DefinedSecrets.start(vault, cluster.pollInterval(), clock);
        // This node writes as the node it is: the store refuses its events for a run it no longer holds.
        EventLog eventLog = new EventLog(metrics.eventLog().timed(batch -> store.commit(cluster.nodeId(), batch)),
                EVENT_QUEUE_CAPACITY, MAX_COMMIT_BATCH);
        metrics.eventLog().queue(eventLog::depth, EVENT_QUEUE_CAPACITY);
        Supplier<HttpClient> httpClient = stepHttpClient();
        Hub hub = new Hub();
        // Every node's run ends reach this hub through the broker: the executor hears of them too,
        // since one may free a slot of a concurrency key whose runs wait here (set once it exists).
        AtomicReference<Runnable> runEnded = new AtomicReference<>(() -> { });
        Broker broker = broker(config, store, delivered(hub, runEnded), hub, clock);
        hub.interest(broker);
        broker.measure(metrics.broker());
        eventLog.addListener(broker);
        eventLog.addListener(metrics.runs());
        if (config.observability().echoStepLogs()) {
            eventLog.addListener(new StepLogEcho());
        }
        metrics.streams().subscriberCounts(hub::subscriberCounts);
        WorkflowValidator validator = new WorkflowValidator(config.allowScripts(), httpTargets);
        Executor executor = new Executor(store, eventLog, httpClient, httpTargets, validator, config.maxConcurrentRuns(),
                config.maxQueuedRuns(), RunListener.all(broker, metrics.runs()), cluster.nodeId(), cluster.lease(),
                cluster.pollInterval(), config.db() == null, clock, SecretSource.of(vault::value, definedSecrets::forms));
        executor.peers(broker);
        runEnded.set(executor::runEnded);
        broker.onNotices(executor::wake, executor::cancelHere, executor::decided);
        metrics.runs().executor(executor::runningCount, executor::queuedCount);
        Readiness readiness = new Readiness();
        readiness.add("store", store::ping);
        readiness.add("broker", () -> broker.problem().ifPresent(problem -> {
            throw new IllegalStateException(problem);
        }));
        WorkflowCatalog catalog = new WorkflowCatalog(store, validator, clock);
        catalog.loadDirectory(config.workflowsDir());
        catalog.checkStored();
        Scheduler scheduler = new Scheduler(store, validator, executor, clock); // started once the node listens

        // Netty's native epoll transport where the platform has it (Linux x86-64): each write to a
        // socket costs less than through java.nio, which is most of the work of fanning an event
        // out (docs/BENCHMARKS.md). Vert.x falls back to NIO elsewhere and says why.
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        if (vertx.isNativeTransportEnabled()) {
            log.info("network transport: native epoll");
        } else {
            log.info("network transport: java.nio ({})", String.valueOf(vertx.unavailableNativeTransportCause()));
        }
        Router router = Router.router(vertx);
        if (config.openToTheNetwork()) {
            log.warn("no credentials and bound to {} (--insecure): every client that reaches it may do anything an admin may,"
                    + " and its Host is not checked; configure --tokens-file or a JWT key unless this network is trusted", config.host());
        }
        Security security = Security.start(config.security(), config.host(), config.allowedOrigins(), clock);
        AccessLog accessLog = new AccessLog(metrics.http(), text -> definedSecrets.forms().mask(text));
        accessLog.mount(router); // first: it logs every request, those the guard refuses too
        security.mount(router); // then every route below passes the guard
        OperationsApi operations = new OperationsApi(readiness, metrics::scrape, Metrics.contentType());
        operations.mount(router);
        StreamRoutes streams = new StreamRoutes(hub, store, config.streams(), security.streams(), metrics.streams(), clock);
        streams.mount(router);
        RunDeleter deleter = new RunDeleter(store, broker);
        HttpApi api = new HttpApi(catalog, executor, store, deleter, metrics.store(), clock);
        SecretsApi secretsApi = new SecretsApi(vault);
        secretsApi.mount(router);
        HooksApi hooksApi = new HooksApi(catalog, executor, vault, metrics.hooks());
        hooksApi.mount(router);
        api.mount(router);
        // Last, so that the API's and the streams' routes (and the API's JSON 404) come first.
        new WebRoutes().mount(router);
        answerHeadAsGet(router);
        HttpServerOptions options = new HttpServerOptions()
                // No HTTP/2 upgrade over cleartext: it caps a connection at 100 concurrent
                // streams, which the JDK's client (it upgrades by default) turns into errors.
                .setHttp2ClearTextEnabled(false)
                // Every response is written on its request's event loop (DESIGN.md "Threads": a
                // virtual thread's result is sent back there, api/Blocking), so a connection needs
                // no queue for writes from other threads (without this, each one gets a 1,025-slot
                // one, 4.7 KB); a write from any other thread throws instead of being queued.
                .setStrictThreadMode(true)
                // WebSockets: the stream endpoints answer the handshake and serve the socket
                // themselves (stream/Upgrade), without extensions, so Vert.x's WebSocket options
                // play no part; but with its compression extensions on (the default), Vert.x puts
                // their handshakers and a handler into every HTTP connection's pipeline, REST ones
                // too, where every request and response passes through it for nothing.
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                .setMaxInitialLineLength(8 * 1024)
                .setMaxHeaderSize(16 * 1024);
        security.configure(options, config.streams().heartbeat());
        // One server per event loop on one port: Vert.x shares the port and spreads connections
        // over them. It shares only a port asked for by number, so port 0 is resolved first.
        List<HttpServer> servers;
        try {
            servers = listen(vertx, options, router, security.invalidRequestHandler(accessLog), security.connectionHandler(), port,
                    config.host(), EVENT_LOOPS);
        } catch (java.util.concurrent.CompletionException e) {
            if (!security.tls() && !(e.getCause() instanceof java.net.BindException)) {
                throw e;
            }
            security.close();
            definedSecrets.close();
            vertx.close();
            if (e.getCause() instanceof java.net.BindException) { // taken since requireFree looked
                throw inUse(config.host(), port);
            }
            throw new ConfigException("--tls-cert: cannot serve TLS with " + config.security().tlsCert() + " and "
                    + config.security().tlsKey() + ": " + (e.getCause() == null ? e : e.getCause()).getMessage());
        }
        // Not before the node listens: a node that failed to start must claim and fire nothing
        // (it would leave the scripts of the runs it resumed running without it), and the runs
        // it takes back start their steps while it answers /readyz, not before.
        executor.start();
        scheduler.start();
        ProcessorLoad load = new ProcessorLoad();
        Sweeper sweeper = new Sweeper(store, config.store().retention(), deleter, () -> eventLog.depth() > 0 || load.busy(),
                metrics.store(), clock);
        sweeper.start();
        return new Server(dataDirLock, config, store, eventLog, executor, scheduler, sweeper, hub, broker, streams,
                List.of(api, secretsApi, hooksApi, definedSecrets), security, operations, metrics, vertx,
                router, servers);
    }

    /**
     * The http steps' client, built when the first step asks for it: building one (its TLS
     * set-up, its selector thread) takes ~0.1 s, which the start-up need not wait for
     * (docs/BENCHMARKS.md, start-up). A lock rather than synchronized: the steps run on virtual
     * threads, which a monitor pins on Java 21.
     */
    private static Supplier<HttpClient> stepHttpClient() {
        return new Supplier<>() {
            private final ReentrantLock building = new ReentrantLock();
            private volatile HttpClient client;

            @Override
            public HttpClient get() {
                HttpClient built = client;
                if (built != null) {
                    return built;
                }
                building.lock();
                try {
                    if (client == null) {
                        client = HttpClient.newBuilder()
                                .connectTimeout(Duration.ofSeconds(10))
                                // http steps follow redirects themselves, checking each hop against --http-allow.
                                .followRedirects(HttpClient.Redirect.NEVER)
                                .executor(Executors.newVirtualThreadPerTaskExecutor())
                                .build();
                    }
                    return client;
                } finally {
                    building.unlock();
                }
            }
        };
    }

    /**
     * One node (SQLite): the local broker. Nodes sharing PostgreSQL: Redis pub/sub when given,
     * else the store polled for the runs this node's streams follow.
     */
    private static Broker broker(Config config, Store store, EventLog.Listener delivered, Hub hub, Clock clock) {
        Duration poll = config.cluster().pollInterval();
        if (config.redis() != null) {
            return new RedisBroker(config.redis(), config.cluster().nodeId(), store, delivered, hub, poll, clock);
        }
        return config.db() == null ? new LocalBroker(delivered, hub) : new PollingBroker(config.cluster().nodeId(), store, delivered, hub, poll, clock);
    }

    /** The hub, then {@code runEnded} once for a delivered batch that holds a run_complete (on the broker's one delivery thread). */
    private static EventLog.Listener delivered(Hub hub, AtomicReference<Runnable> runEnded) {
        return batch -> {
            hub.committed(batch);
            for (RunEvent event : batch) {
                if (event.type() == EventType.RUN_COMPLETE) {
                    runEnded.get().run();
                    return;
                }
            }
        };
    }

    /** This build's version, from the jar's manifest ({@code development} when run from classes). */
    public static String version() {
        String version = Server.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    /**
     * {@code port}, if this server can listen on it: a busy port is one line naming the setting
     * (exit 2), not a stack trace from deep in the start-up. Checked before anything is opened.
     */
    private static int requireFree(String host, int port) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.setReuseAddress(true); // as Netty binds: a port in TIME_WAIT is free to it
            socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(host), port), 1);
            return port;
        } catch (java.net.BindException e) {
            throw inUse(host, port);
        } catch (java.io.IOException e) {
            throw new ConfigException("--port " + port + ": cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
    }

    private static ConfigException inUse(String host, int port) {
        return new ConfigException("--port " + port + ": " + host + ":" + port
                + " is already in use (another stepstream, or another program; choose another with --port)");
    }

    /**
     * The store: a database that cannot be reached or migrated (PostgreSQL down, a wrong port, a
     * SQLite file that is not one) is one line naming the setting, its URL without a password, and
     * the driver's reason, as {@code --port} and {@code --data-dir} are; not a page of stack trace.
     */
    private static Store openStore(Config config) {
        try {
            // A transaction left waiting that long is a stalled node's: see Stores.postgres.
            return Stores.open(config.db(), config.dataDir(), config.cluster().lease().dividedBy(3));
        } catch (dev.stepstream.store.StoreException e) {
            // The database driver's own words (they name the host and port), else the deepest cause.
            Throwable cause = e;
            Throwable driver = null;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
                if (cause instanceof java.sql.SQLException) {
                    driver = cause;
                }
            }
            cause = driver == null ? cause : driver;
            String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().lines().findFirst().orElse("");
            String setting = config.db() == null
                    ? "--data-dir " + config.dataDir().toAbsolutePath()
                    : "--db " + Redact.url(config.db());
            throw new ConfigException(setting + ": cannot open the database: " + why);
        }
    }

    /**
     * This node's id, unless a live node has it ({@link NodeIds}): that is one line naming
     * --node-id, exit 2, before this node registers and takes the other's runs for a dead node's.
     */
    private static void requireOwnNodeId(Store store, ClusterSettings cluster, Clock clock) {
        try {
            NodeIds.requireUnused(store, cluster.nodeId(), cluster.lease(), clock);
        } catch (IllegalStateException e) {
            store.close();
            throw new ConfigException("--node-id " + cluster.nodeId() + " (STEPSTREAM_NODE_ID): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            store.close();
            throw new ConfigException("--node-id " + cluster.nodeId() + " (STEPSTREAM_NODE_ID): interrupted while waiting"
                    + " to see whether a live node has it");
        }
    }

    /** The data directory, created if missing: a path that cannot be one is one line naming --data-dir. */
    private static void requireDirectory(java.nio.file.Path dir) {
        java.nio.file.Path absolute = dir.toAbsolutePath();
        try {
            PrivateFiles.createDirectories(absolute);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new ConfigException("--data-dir " + absolute + ": cannot create it: " + e.getFile() + " exists and is not a directory");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("--data-dir " + absolute + ": cannot create it: permission denied on " + e.getFile());
        } catch (java.io.IOException e) {
            throw new ConfigException("--data-dir " + absolute + ": cannot create it: " + e.getMessage());
        }
        if (!java.nio.file.Files.isWritable(absolute)) {
            throw new ConfigException("--data-dir " + absolute + ": this user cannot write to it");
        }
    }

    private static int freePort(String host) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port on " + host, e);
        }
    }

    /**
     * HEAD wherever GET answers (RFC 9110, 9.3.2: a server that answers GET answers HEAD): each
     * route of GET alone takes HEAD too, and Vert.x sends the answer's head without its body.
     * The guard checks HEAD as GET. What would stream a body for nothing does not for HEAD: an
     * event stream (the events route answers its JSON page), a log download (its head alone),
     * and a WebSocket route answers 426 as to any request that is not an upgrade.
     */
    private static void answerHeadAsGet(Router router) {
        for (io.vertx.ext.web.Route route : router.getRoutes()) {
            java.util.Set<io.vertx.core.http.HttpMethod> methods = route.methods();
            if (methods != null && methods.equals(java.util.Set.of(io.vertx.core.http.HttpMethod.GET))) {
                route.method(io.vertx.core.http.HttpMethod.HEAD);
            }
        }
    }

    /** Starts {@code instances} HTTP servers on one port, each in a verticle, so each on an event loop of its own. */
    private static List<HttpServer> listen(Vertx vertx, HttpServerOptions options, Router router,
                                           io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> invalidRequests,
                                           io.vertx.core.Handler<io.vertx.core.http.HttpConnection> connections, int port,
                                           String host, int instances) {
        List<HttpServer> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                return vertx.createHttpServer(options).connectionHandler(connections)
                        .invalidRequestHandler(invalidRequests).requestHandler(router)
                        .listen(port, host).onSuccess(started::add);
            }
        }, new DeploymentOptions().setInstances(instances)).toCompletionStage().toCompletableFuture().join();
        if (started.stream().mapToInt(HttpServer::actualPort).distinct().count() != 1) {
            throw new IllegalStateException("the HTTP servers did not share one port");
        }
        return List.copyOf(started);
    }

    /**
     * Every route the HTTP server has, as {@code "GET /api/v2/workflows/{workflowId}"} (path
     * parameters spelled as OpenAPI does); routes without a path (the access log) are left out.
     * For the check that the OpenAPI description matches the server.
     */
    public java.util.SortedSet<String> routes() {
        java.util.SortedSet<String> routes = new java.util.TreeSet<>();
        for (io.vertx.ext.web.Route route : router.getRoutes()) {
            if (route.getPath() == null) {
                continue;
            }
            String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}") + (route.isExactPath() ? "" : "*");
            java.util.Set<io.vertx.core.http.HttpMethod> methods = route.methods();
            if (methods == null || methods.isEmpty()) {
                routes.add("ANY " + path);
            } else {
                // HEAD is GET's (answerHeadAsGet), as OpenAPI has it: not an operation of its own.
                methods.stream().filter(method -> method != io.vertx.core.http.HttpMethod.HEAD)
                        .forEach(method -> routes.add(method.name() + " " + path));
            }
        }
        return routes;
    }

    public int port() {
        return servers.get(0).actualPort();
    }

    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return (security.tls() ? "https://" : "http://") + host + ":" + port();
    }

    /**
     * Stops in reverse dependency order: runs stopped (a resumable one handed back, the others
     * ended {@code interrupted}) and their last events committed and delivered, so that their
     * followers see the run's end; then every stream closed with 1001 (clients resume elsewhere
     * or later with after), no new requests, store closed. While the runs stop, requests are
     * still answered: the executor refuses new runs with 503.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("stopping");
        scheduler.close(); // first: a stopping node starts no run
        sweeper.close();
        executor.close(Duration.ofSeconds(10));
        eventLog.close(Duration.ofSeconds(10)); // its committer has handed the hub every event committed
        hub.closeAll(Duration.ofSeconds(5));
        servers.forEach(server -> await(server.close()));
        executor.leave();
        broker.close();
        apis.forEach(Server::closeQuietly);
        operations.close();
        streams.close();
        security.close();
        store.close();
        await(vertx.close());
        metrics.close();
        closeQuietly(dataDirLock);
        log.info("stopped");
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("shutdown step did not complete: {}", e.toString());
        }
    }

    private static void await(io.vertx.core.Future<?> future) {
        try {
            future.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("shutdown step did not complete: {}", e.toString());
        }
    }
}
