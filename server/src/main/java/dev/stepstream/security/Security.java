package dev.stepstream.security;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server's security edge (docs/security.md), wired by {@code app/Server}: the {@link Guard}
 * every request passes first, the TLS and timeout options of the HTTP server, the connection
 * count, and the {@link StreamGate} the stream endpoints ask before they open.
 *
 * <p>One housekeeping thread (a daemon, stopped by {@link #close}) reads the tokens file again
 * when it changes, closing the streams of revoked tokens, and drops idle rate-limit buckets.
 */
public final class Security implements AutoCloseable {
    private static final Duration HOUSEKEEPING = Duration.ofSeconds(2);

    private final SecuritySettings settings;
    private final Credentials credentials;
    private final Connections connections;
    private final StreamGate gate;
    private final Guard guard;
    private final ScheduledExecutorService housekeeping;

    private Security(SecuritySettings settings, String host, List<String> allowedOrigins, Clock clock) {
        this.settings = settings;
        this.credentials = Credentials.from(settings, clock);
        SecuritySettings.Limits limits = settings.limits();
        this.connections = new Connections(limits.maxConnections(), limits.requestTimeout().toMillis());
        this.gate = new StreamGate(limits, clock, connections);
        Origins origins = new Origins(allowedOrigins, settings.trustProxy());
        RateLimits requests = new RateLimits(limits.requests(), clock);
        RateLimits streams = new RateLimits(limits.streams(), clock);
        this.guard = new Guard(credentials, requests, streams, connections, origins, settings.trustProxy(),
                localHosts(settings, host, origins));
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "security-housekeeping");
            thread.setDaemon(true);
            return thread;
        });
        housekeeping.scheduleWithFixedDelay(() -> {
            try {
                Set<String> revoked = credentials.reload();
                gate.revoke(revoked);
                requests.sweep();
                streams.sweep();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Security.class).warn("security housekeeping failed: {}", e.toString());
            }
        }, HOUSEKEEPING.toMillis(), HOUSEKEEPING.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static Security start(SecuritySettings settings, String host, List<String> allowedOrigins, Clock clock) {
        return new Security(settings, host, allowedOrigins, clock);
    }

    /**
     * The host names an open server answers to, or null when it answers to any: a server with
     * credentials, or one bound beyond loopback with --insecure, has no such rule.
     */
    private static List<String> localHosts(SecuritySettings settings, String host, Origins origins) {
        if (settings.credentials() || !loopback(host)) {
            return null;
        }
        List<String> hosts = new ArrayList<>(origins.allowedHosts());
        hosts.add(host.toLowerCase(Locale.ROOT));
        return List.copyOf(hosts);
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Puts the guard in front of every route; mount before any route but the access log. */
    public void mount(Router router) {
        router.route().handler(guard);
    }

    /**
     * TLS (HTTPS and WSS, HTTP/2 by ALPN) when configured, and the idle timeout, which outlasts
     * the streams' own heartbeats: twice {@code heartbeat}, the longest a stream stays silent.
     */
    public HttpServerOptions configure(HttpServerOptions options, Duration heartbeat) {
        long idleMs = Math.max(settings.limits().idleTimeout().toMillis(), 2 * heartbeat.toMillis());
        options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleMs)).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        if (settings.tlsCert() != null) {
            options.setSsl(true)
                    .setUseAlpn(true)
                    .setKeyCertOptions(new PemKeyCertOptions()
                            .setCertPath(settings.tlsCert().toString())
                            .setKeyPath(settings.tlsKey().toString()));
        }
        return options;
    }

    /**
     * Answers a request the HTTP decoder could not read (a bad request line or header, a line or
     * head too long, a version it does not speak) with a 4xx and the API's error shape, then the
     * connection closes. Vert.x's own handler answers some of these with 501. Each is logged and
     * counted by {@code accessLog}, as a refusal: these requests never reach the router.
     */
    public Handler<io.vertx.core.http.HttpServerRequest> invalidRequestHandler(dev.stepstream.api.AccessLog accessLog) {
        return request -> {
            long started = System.nanoTime();
            dev.stepstream.api.ApiError error = undecodable(request.decoderResult() == null ? null : request.decoderResult().cause());
            request.response().setStatusCode(error.status())
                    .putHeader("Content-Type", "application/json; charset=utf-8")
                    .putHeader("Connection", "close")
                    .end(io.vertx.core.buffer.Buffer.buffer(error.body()))
                    .onComplete(ignored -> accessLog.undecodable(request, error.status(), error.code(), System.nanoTime() - started));
        };
    }

    /** The answer to a request the decoder failed on with {@code cause}. */
    private static dev.stepstream.api.ApiError undecodable(Throwable cause) {
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            return new dev.stepstream.api.ApiError(414, "uri_too_long", "the request line is longer than 8 KiB");
        }
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            return new dev.stepstream.api.ApiError(431, "headers_too_large", "the request's headers are larger than 16 KiB");
        }
        return new dev.stepstream.api.ApiError(400, "bad_request", "the request is not well-formed HTTP/1.1");
    }

    /** Counts and times each new TCP connection; set on every HTTP server. */
    public Handler<HttpConnection> connectionHandler() {
        return connections::connected;
    }

    public boolean tls() {
        return settings.tlsCert() != null;
    }

    public StreamGate streams() {
        return gate;
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
    }
}
