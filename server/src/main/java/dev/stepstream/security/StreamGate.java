package dev.stepstream.security;

import dev.stepstream.api.AccessLog;
import dev.stepstream.api.ApiError;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admits streams (run streams, SSE, the all-runs stream) within the connection caps, and ends
 * them when their credentials do: a JWT's stream is closed at its {@code exp}, a token's when
 * it is revoked from the tokens file. The stream endpoints call {@link #admit} before the
 * upgrade, {@link Pass#takeOver} if they take the connection over from Vert.x,
 * {@link Pass#onCredentialsEnd} once the stream is wired, and {@link Pass#release} when it
 * closes (or was never opened).
 *
 * <p>Thread-safe: the counts are concurrent maps changed atomically per key; a pass's timer and
 * closer are set on its connection's event loop, and revocation hops to that loop to close.
 */
public final class StreamGate {
    private final SecuritySettings.Limits limits;
    private final Clock clock;
    /** The server's connection count, for connections a stream takes over from Vert.x. */
    private final Connections connections;
    /** Open streams per limited client, by client key; also how revocation finds a token's streams. */
    private final ConcurrentHashMap<String, Set<Pass>> byClient = new ConcurrentHashMap<>();
    /** Open streams per run. */
    private final ConcurrentHashMap<UUID, Integer> byRun = new ConcurrentHashMap<>();

    StreamGate(SecuritySettings.Limits limits, Clock clock, Connections connections) {
        this.limits = limits;
        this.clock = clock;
        this.connections = connections;
    }

    /**
     * Counts a new stream of the request's client, and of {@code runId} (null for the all-runs stream).
     * @throws ApiError 429 {@code too_many_streams} past {@code --max-streams-per-client},
     *                  503 {@code over_capacity} past {@code --max-subscribers-per-run}
     */
    public Pass admit(RoutingContext ctx, UUID runId) {
        Client client = ctx.get(Client.CONTEXT_KEY);
        Pass pass = new Pass(client, runId);
        if (runId != null) {
            boolean[] admitted = {false};
            byRun.compute(runId, (id, count) -> {
                int now = count == null ? 0 : count;
                if (now >= limits.maxSubscribersPerRun()) {
                    return count;
                }
                admitted[0] = true;
                return now + 1;
            });
            if (!admitted[0]) {
                AccessLog.refused(ctx, "over_capacity");
                throw ApiError.overCapacity("run " + runId + " has " + limits.maxSubscribersPerRun()
                        + " open streams, the most this server allows (--max-subscribers-per-run); try again later");
            }
        }
        if (client != null && (client.limited() || client.key().startsWith("token:"))) {
            boolean[] admitted = {false};
            byClient.compute(client.key(), (key, passes) -> {
                Set<Pass> set = passes == null ? ConcurrentHashMap.newKeySet() : passes;
                if (client.limited() && set.size() >= limits.maxStreamsPerClient()) {
                    return passes;
                }
                set.add(pass);
                admitted[0] = true;
                return set;
            });
            if (!admitted[0]) {
                pass.releaseRun();
                AccessLog.refused(ctx, "too_many_streams");
                throw new ApiError(429, "too_many_streams", "this client has " + limits.maxStreamsPerClient()
                        + " open streams, the most it may (--max-streams-per-client); close some first");
            }
        }
        return pass;
    }

    /** Closes the streams of the tokens named (revoked from the tokens file). */
    void revoke(Set<String> names) {
        for (String name : names) {
            Set<Pass> passes = byClient.get("token:" + name);
            if (passes != null) {
                passes.forEach(Pass::credentialsEnded);
            }
        }
    }

    int streams(UUID runId) {
        return byRun.getOrDefault(runId, 0);
    }

    /** One admitted stream. */
    public final class Pass {
        private final Client client;
        private final UUID runId;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile Context context;  // set once, on the connection's loop, by onCredentialsEnd
        private volatile Runnable closer;  // idem
        private long timer = -1;           // owned by the connection's event loop
        private volatile boolean connection; // holds its connection's place in the count (see takeOver)

        private Pass(Client client, UUID runId) {
            this.client = client;
            this.runId = runId;
        }

        /**
         * Arranges for {@code close} to run on {@code context} (the connection's event loop) when
         * the stream's credentials end: at a JWT's expiry, or when its token is revoked. Call on
         * that event loop.
         */
        public void onCredentialsEnd(Context context, Runnable close) {
            this.context = context;
            this.closer = close;
            Principal principal = client == null ? null : client.principal();
            if (principal != null && principal.expires() != null && !released.get()) {
                long delay = Math.max(1, Duration.between(clock.instant(), principal.expires()).toMillis());
                timer = context.owner().setTimer(delay, ignored -> {
                    timer = -1;
                    close.run();
                });
            }
        }

        /**
         * The stream took {@code connection} over from Vert.x, whose close handler, which counts
         * connections out, will therefore never run: the pass holds the connection's place in the
         * count ({@code --max-connections}) from now on, and gives it back on {@link #release}.
         * Call on the connection's event loop, at most once, before {@link #release}.
         */
        public void takeOver(io.vertx.core.http.HttpConnection taken) {
            connection = connections.takenOver(taken);
        }

        /** When the principal's credentials expire, or null. */
        public Instant expires() {
            return client == null || client.principal() == null ? null : client.principal().expires();
        }

        private void credentialsEnded() {
            Context on = context;
            Runnable close = closer;
            if (on != null && close != null && !released.get()) {
                on.runOnContext(ignored -> close.run());
            }
        }

        /** The stream closed, or was never opened: counts it out. Idempotent; any thread. */
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            Context on = context;
            if (on != null) {
                on.runOnContext(ignored -> {
                    if (timer != -1) {
                        on.owner().cancelTimer(timer);
                        timer = -1;
                    }
                });
            }
            releaseRun();
            if (connection) {
                connections.takenOverClosed();
            }
            if (client != null) {
                byClient.computeIfPresent(client.key(), (key, passes) -> {
                    passes.remove(this);
                    return passes.isEmpty() ? null : passes;
                });
            }
        }

        private void releaseRun() {
            if (runId != null) {
                byRun.computeIfPresent(runId, (id, count) -> count <= 1 ? null : count - 1);
            }
        }
    }
}
