package dev.stepstream.broker;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.execution.RunListener;
import dev.stepstream.settings.Redact;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.time.Clock;
import dev.stepstream.time.Durations;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker of many nodes: Redis pub/sub (with Lettuce). Each committed batch is published,
 * as the stored envelope bytes, on one channel per run ({@code stepstream:run:<runId>}), and
 * its run-level events also on {@code stepstream:runs}, which every node hears (the all-runs
 * stream); a node subscribes to a run's channel while it has local subscribers for the run.
 * Notices go on {@code stepstream:runs} (a run was queued; a decision on a run no node holds; a
 * run was deleted)
 * and {@code stepstream:node:<id>} (cancel a run you execute; a decision on a run you hold).
 *
 * <p>Redis pub/sub drops messages when a connection breaks or a subscriber falls behind; the
 * {@link Relay} repairs every such loss from the store. While Redis is down, streams of runs
 * executed elsewhere are fed by polling the store every poll interval, and {@link #problem}
 * says so; Lettuce reconnects and subscribes again by itself, and push resumes.
 *
 * <p>Threads: the committer publishes (asynchronously: it never waits for Redis; while Redis
 * is down, commands are refused at once instead of queued) and hands the batch to the relay;
 * Lettuce's threads decode incoming messages and hand them to the relay, which delivers.
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    static final String RUNS_CHANNEL = "stepstream:runs";
    /** Events per message: keeps each message well under Redis's output buffer limits for pub/sub clients. */
    private static final int MAX_EVENTS_PER_MESSAGE = 256;
    private static final int SUBSCRIBE_TIMEOUT_SECONDS = 5;

    private final String nodeId;
    private final RunListener runs;
    private final Duration pollInterval;
    private final Relay relay;
    private final ClientResources resources;
    private final RedisClient client;
    private final String where;
    /** Runs the relay follows, so that a connection made late subscribes to them too. */
    private final Set<UUID> followed = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile StatefulRedisConnection<byte[], byte[]> publisher;
    private volatile dev.stepstream.metrics.BrokerMetrics metrics;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> subscriber;
    private volatile Runnable runQueued = () -> { };
    private volatile Consumer<UUID> cancel = runId -> { };
    private volatile Consumer<UUID> decided = runId -> { };

    /**
     * Connects to Redis at {@code url}; when it does not answer, starts anyway (streams poll
     * the store) and keeps trying in the background.
     *
     * @param hub  where events go (this node's hub), on the relay's thread
     * @param runs where notices of queued runs go (the hub, for the all-runs stream)
     */
    public RedisBroker(String url, String nodeId, Store store, EventLog.Listener hub, RunListener runs, Duration pollInterval,
                       Clock clock) {
        this.nodeId = nodeId;
        this.runs = runs;
        this.pollInterval = pollInterval;
        this.where = Redact.url(url);
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(1)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(Duration.ofSeconds(5));
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(10_000)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        this.relay = new Relay(nodeId, store, hub, runs, pollInterval, this::pushing, this::subscribe, this::unsubscribe, clock);
        if (!connect()) {
            log.warn("Redis at {} does not answer; streams of runs on other nodes poll the store every {} until it does",
                    where, Durations.format(pollInterval));
            Thread.ofVirtual().name("redis-connect").start(this::connectUntilDone);
        }
    }

    /** Opens both connections, or neither (a half-made pair would be made again, twice listened to). */
    private boolean connect() {
        StatefulRedisPubSubConnection<byte[], byte[]> sub = null;
        StatefulRedisConnection<byte[], byte[]> pub = null;
        try {
            sub = client.connectPubSub(ByteArrayCodec.INSTANCE);
            pub = client.connect(ByteArrayCodec.INSTANCE);
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] channel, byte[] message) {
                    receive(message);
                }
            });
            // Wait for Redis to confirm the subscription: a notice published just after this
            // node started (a run queued on another node) would otherwise miss it.
            sub.async().subscribe(bytes(RUNS_CHANNEL), bytes(nodeChannel(nodeId))).get(SUBSCRIBE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            publisher = pub;
            subscriber = sub;
            // Runs followed before this connection existed: Lettuce subscribes again by itself
            // after a reconnect, but a first connection has to be told.
            followed.forEach(this::subscribe);
            return true;
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            closeBoth(sub, pub);
            log.debug("could not connect to Redis at {}: {}", where, e.toString());
            return false;
        } catch (InterruptedException e) {
            closeBoth(sub, pub);
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeBoth(StatefulRedisPubSubConnection<byte[], byte[]> sub, StatefulRedisConnection<byte[], byte[]> pub) {
        if (sub != null) {
            sub.close();
        }
        if (pub != null) {
            pub.close();
        }
    }

    private void connectUntilDone() {
        try {
            while (!closing.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                if (connect()) {
                    log.info("connected to Redis at {}: streams are pushed again", where);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String runChannel(UUID runId) {
        return "stepstream:run:" + runId;
    }

    static String nodeChannel(String nodeId) {
        return "stepstream:node:" + nodeId;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private boolean pushing() {
        StatefulRedisPubSubConnection<byte[], byte[]> sub = subscriber;
        return sub != null && sub.isOpen();
    }

    /** Relay thread: never blocks (an asynchronous command, refused at once while disconnected). */
    private void subscribe(UUID runId) {
        followed.add(runId);
        StatefulRedisPubSubConnection<byte[], byte[]> sub = subscriber;
        if (sub != null) {
            try {
                sub.async().subscribe(bytes(runChannel(runId)));
            } catch (RuntimeException e) {
                log.debug("subscribe to run {} failed: {}", runId, e.toString());
            }
        }
    }

    private void unsubscribe(UUID runId) {
        followed.remove(runId);
        StatefulRedisPubSubConnection<byte[], byte[]> sub = subscriber;
        if (sub != null) {
            try {
                sub.async().unsubscribe(bytes(runChannel(runId)));
            } catch (RuntimeException e) {
                log.debug("unsubscribe from run {} failed: {}", runId, e.toString());
            }
        }
    }

    /** Lettuce's thread: decode and hand over; nothing here blocks. */
    private void receive(byte[] bytes) {
        Messages.Message message;
        try {
            message = Messages.decode(bytes);
            if (message.origin().equals(nodeId)) {
                return; // this node's own: already delivered here
            }
            switch (message.kind()) {
                case 'E' -> relay.remote(message.events());
                case 'Q' -> {
                    String[] fields = message.fields();
                    UUID runId = UUID.fromString(fields[0]);
                    Instant at = Instant.ofEpochMilli(Long.parseLong(fields[3]));
                    RunTrigger trigger = Messages.trigger(fields);
                    relay.queued(runId, () -> runs.queued(runId, fields[1], Integer.parseInt(fields[2]), at, trigger));
                    runQueued.run();
                }
                case 'C' -> {
                    // Stopping a run may kill a script's process tree: not on Lettuce's thread.
                    UUID runId = UUID.fromString(message.fields()[0]);
                    Thread.ofVirtual().name("cancel-" + runId).start(() -> cancel.accept(runId));
                }
                case 'D' -> decided.accept(UUID.fromString(message.fields()[0])); // a signal: it does not block
                case 'X' -> relay.deleted(UUID.fromString(message.fields()[0]), Messages.deletedWorkflow(message.fields()));
                default -> throw new IllegalArgumentException("unknown kind " + message.kind());
            }
        } catch (RuntimeException e) {
            log.warn("ignored a malformed broker message: {}", e.toString());
        }
    }

    /** Committer thread: publish (without waiting), then deliver here through the relay. */
    @Override
    public void committed(List<RunEvent> batch) {
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub != null && pub.isOpen()) {
            Map<UUID, List<RunEvent>> byRun = new LinkedHashMap<>();
            List<RunEvent> runLevel = new ArrayList<>();
            for (RunEvent event : batch) {
                byRun.computeIfAbsent(event.runId(), id -> new ArrayList<>()).add(event);
                if (event.type().isRunLevel()) {
                    runLevel.add(event);
                }
            }
            byRun.forEach((runId, events) -> publish(pub, runChannel(runId), events));
            publish(pub, RUNS_CHANNEL, runLevel);
        } else if (!batch.isEmpty()) {
            publishFailed(); // Redis is down: the other nodes poll the store meanwhile
        }
        relay.local(batch);
    }

    @Override
    public void measure(dev.stepstream.metrics.BrokerMetrics metrics) {
        this.metrics = metrics;
        relay.measure(metrics);
    }

    private void publishFailed() {
        dev.stepstream.metrics.BrokerMetrics failures = metrics;
        if (failures != null) {
            failures.publishFailed();
        }
    }

    private void publish(StatefulRedisConnection<byte[], byte[]> pub, String channel, List<RunEvent> events) {
        for (int from = 0; from < events.size(); from += MAX_EVENTS_PER_MESSAGE) {
            List<RunEvent> chunk = events.subList(from, Math.min(events.size(), from + MAX_EVENTS_PER_MESSAGE));
            send(pub, channel, Messages.events(nodeId, chunk));
        }
    }

    private void send(StatefulRedisConnection<byte[], byte[]> pub, String channel, byte[] message) {
        try {
            pub.async().publish(bytes(channel), message).exceptionally(failure -> {
                publishFailed(); // lost: the other nodes repair it from the store
                return null;
            });
        } catch (RuntimeException e) {
            publishFailed(); // lost: the other nodes repair it from the store
            log.debug("publish on {} failed: {}", channel, e.toString());
        }
    }

    /** The queueing again, on this node and to the others, ahead of the run's start on the same channel. */
    @Override
    public void claimed(UUID runId, String workflowId, int workflowVersion, Instant queuedAt, RunTrigger trigger) {
        queued(runId, workflowId, workflowVersion, queuedAt, trigger);
    }

    @Override
    public void queued(UUID runId, String workflowId, int workflowVersion, Instant at, RunTrigger trigger) {
        relay.queued(runId, () -> runs.queued(runId, workflowId, workflowVersion, at, trigger));
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub != null && pub.isOpen()) {
            send(pub, RUNS_CHANNEL, Messages.queued(nodeId, runId, workflowId, workflowVersion, at, trigger));
        }
    }

    @Override
    public void recovered(UUID runId, String workflowId) {
        runs.recovered(runId, workflowId);
    }

    /**
     * Here through the relay, and to every node. A lost message is made up for by the relay's
     * check of followed runs, which finds the run gone from the store within a poll interval.
     */
    @Override
    public void deleted(UUID runId, String workflowId) {
        relay.deleted(runId, workflowId);
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub != null && pub.isOpen()) {
            send(pub, RUNS_CHANNEL, Messages.deleted(nodeId, runId, workflowId));
        }
    }

    @Override
    public void cancel(String ownerNodeId, UUID runId) {
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub != null && pub.isOpen()) {
            send(pub, nodeChannel(ownerNodeId), Messages.cancel(nodeId, runId));
        }
    }

    /** To the node that holds the run, or to every node when none does (any may claim it). */
    @Override
    public void decided(String ownerNodeId, UUID runId) {
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub != null && pub.isOpen()) {
            send(pub, ownerNodeId == null ? RUNS_CHANNEL : nodeChannel(ownerNodeId), Messages.decided(nodeId, runId));
        }
    }

    @Override
    public void follow(UUID runId) {
        relay.follow(runId);
    }

    @Override
    public void unfollow(UUID runId) {
        relay.unfollow(runId);
    }

    @Override
    public void onNotices(Runnable runQueued, Consumer<UUID> cancel, Consumer<UUID> decided) {
        this.runQueued = runQueued;
        this.decided = decided;
        this.cancel = cancel;
    }

    /** Answers within about a second: Redis must answer a PING on both connections' server. */
    @Override
    public Optional<String> problem() {
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        if (pub == null || !pub.isOpen() || !pushing()) {
            return Optional.of("not connected to Redis at " + where + " (streams poll the store every "
                    + Durations.format(pollInterval) + ")");
        }
        try {
            pub.async().ping().get(1, TimeUnit.SECONDS);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } catch (Exception e) {
            return Optional.of("Redis at " + where + " did not answer a ping: " + e.getMessage());
        }
    }

    /** Events this node read from the store because Redis did not bring them (for tests and metrics). */
    long repairedFromStore() {
        return relay.repaired();
    }

    @Override
    public void close() {
        closing.countDown();
        relay.close();
        StatefulRedisPubSubConnection<byte[], byte[]> sub = subscriber;
        StatefulRedisConnection<byte[], byte[]> pub = publisher;
        try {
            if (sub != null) {
                sub.close();
            }
            if (pub != null) {
                pub.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            log.warn("closing the Redis client: {}", e.toString());
        }
    }
}
