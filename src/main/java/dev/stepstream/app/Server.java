package dev.stepstream.app;

import dev.stepstream.api.HttpApi;
import dev.stepstream.events.EventLog;
import dev.stepstream.execution.Executor;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.workflow.WorkflowCatalog;
import dev.stepstream.workflow.WorkflowValidator;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stepstream node: the store, the event log, the executor and the HTTP edge, started and
 * stopped in dependency order. {@link #start} returns once the node listens.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);
    /** Events waiting for the committer before producers block; about 8 MB of small events. */
    private static final int EVENT_QUEUE_CAPACITY = 16_384;
    private static final int MAX_COMMIT_BATCH = 4_096;

    private final Config config;
    private final Store store;
    private final EventLog eventLog;
    private final Executor executor;
    private final HttpApi api;
    private final Vertx vertx;
    private final HttpServer http;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Server(Config config, Store store, EventLog eventLog, Executor executor, HttpApi api, Vertx vertx, HttpServer http) {
        this.config = config;
        this.store = store;
        this.eventLog = eventLog;
        this.executor = executor;
        this.api = api;
        this.vertx = vertx;
        this.http = http;
    }

    public static Server start(Config config) {
        Store store = Stores.open(config.db(), config.dataDir());
        EventLog eventLog = new EventLog(store::commit, EVENT_QUEUE_CAPACITY, MAX_COMMIT_BATCH);
        HttpClient httpClient = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        Executor executor = new Executor(store, eventLog, httpClient, config.maxConcurrentRuns(), config.maxQueuedRuns());
        WorkflowValidator validator = new WorkflowValidator(config.allowScripts());
        WorkflowCatalog catalog = new WorkflowCatalog(store, validator);
        catalog.loadDirectory(config.workflowsDir());
        executor.recover(validator);

        Vertx vertx = Vertx.vertx(new VertxOptions());
        Router router = Router.router(vertx);
        HttpApi api = new HttpApi(catalog, executor, store);
        api.mount(router);
        HttpServer http = vertx.createHttpServer(new HttpServerOptions()
                        // No HTTP/2 upgrade over cleartext: it caps a connection at 100 concurrent
                        // streams, which the JDK's client (it upgrades by default) turns into errors.
                        .setHttp2ClearTextEnabled(false)
                        .setMaxInitialLineLength(8 * 1024)
                        .setMaxHeaderSize(16 * 1024))
                .requestHandler(router)
                .listen(config.port(), config.host())
                .toCompletionStage().toCompletableFuture().join();
        return new Server(config, store, eventLog, executor, api, vertx, http);
    }

    public int port() {
        return http.actualPort();
    }

    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + port();
    }

    /** Stops in reverse dependency order: no new requests, runs stopped, events committed, store closed. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("stopping");
        await(http.close());
        executor.close(Duration.ofSeconds(10));
        eventLog.close(Duration.ofSeconds(10));
        api.close();
        store.close();
        await(vertx.close());
        log.info("stopped");
    }

    private static void await(io.vertx.core.Future<?> future) {
        try {
            future.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("shutdown step did not complete: {}", e.toString());
        }
    }
}
