package dev.stepstream.security;

import dev.stepstream.api.AccessLog;
import dev.stepstream.api.ApiError;
import dev.stepstream.api.ConnectionClose;
import dev.stepstream.api.Params;
import dev.stepstream.api.Who;
import dev.stepstream.json.Json;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The first handler of every request: connection cap, host and origin rules, credentials, rate
 * limits, then the role the {@link AccessPolicy} asks for. Runs on the event loop and never
 * blocks (a token check is a hash, a JWT check a signature verification).
 *
 * <p>In order: 503 for a connection over {@code --max-connections}; 400 for a path that cannot
 * be decoded; 403 {@code host_not_allowed}
 * when an open server (no credentials, loopback) is reached by a name that is not this machine's
 * (DNS rebinding); 403 {@code origin_not_allowed} for a browser page of another origin that tries
 * to change something or to open a stream (WebSocket or SSE alike: this is the one place the
 * origin rule is applied); 401 for a malformed {@code Authorization} header; 429 past the client's
 * rate; 401 without valid credentials; 403 {@code forbidden} for a role that is not enough.
 * A webhook's route ({@link AccessPolicy.Access#HOOK}) passes every rule but the role, whose
 * refusal, if any, it leaves to the route ({@link Who#OPERATOR_REFUSAL}): a webhook with a secret
 * needs no credentials, and only its handler knows whether it has one.
 * Every refusal is marked with its code ({@link AccessLog#refused}), so that the access log,
 * mounted before the guard, writes why, and {@code /metrics} counts it.
 */
final class Guard implements Handler<RoutingContext> {
    private static final String BEARER_PROTOCOL = "stepstream.bearer.";
    /** A dotted IPv4 literal in 127.0.0.0/8 (compiled once: it is tested on every request). */
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private final Credentials credentials;
    private final RateLimits requests;
    private final RateLimits streams;
    private final Connections connections;
    private final Origins origins;
    private final Cors cors;
    private final boolean trustProxy;
    /** Host names an open, loopback-only server answers to; null when any host is fine. */
    private final List<String> localHosts;

    Guard(Credentials credentials, RateLimits requests, RateLimits streams, Connections connections, Origins origins,
          boolean trustProxy, List<String> localHosts) {
        this.credentials = credentials;
        this.requests = requests;
        this.streams = streams;
        this.connections = connections;
        this.origins = origins;
        this.cors = new Cors(origins);
        this.trustProxy = trustProxy;
        this.localHosts = localHosts;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        connections.requestStarted(ctx);
        // First, so that every answer to a listed origin, refusals included, carries CORS headers.
        boolean listed = cors.decorate(ctx);
        if (connections.refused(request)) {
            answerAndClose(ctx, ApiError.overCapacity(
                    "the server has as many connections as it allows (--max-connections); try again later"));
            return;
        }
        if (listed && cors.answerPreflight(ctx)) {
            return; // a preflight carries no credentials and changes nothing
        }
        if (!request.isEnded() && !request.canUpgradeToWebSocket()) {
            bodyDeadline(ctx, request);
        }
        try {
            check(ctx, request);
        } catch (ApiError error) {
            refuse(ctx, error);
        }
    }

    private void check(RoutingContext ctx, HttpServerRequest request) {
        String path = path(ctx);
        AccessPolicy.Access access = AccessPolicy.access(request.method().name(), path);
        boolean probe = access == AccessPolicy.Access.OPEN && (path.equals("/healthz") || path.equals("/readyz"));
        if (localHosts != null && !probe && !localHost(request.getHeader("Host"))) {
            throw new ApiError(403, "host_not_allowed", "this server has no credentials configured and answers only to"
                    + " this machine's names (localhost, 127.0.0.1); configure credentials to serve other names");
        }
        boolean streamOpen = opensStream(request);
        if ((streamOpen || changes(request.method())) && !origins.allows(request)) {
            throw new ApiError(403, "origin_not_allowed", "the origin " + Params.abbreviate(request.getHeader("Origin"))
                    + (streamOpen ? " may not open streams here" : " may not send " + request.method() + " requests here")
                    + " (see --allowed-origins)");
        }
        String address = clientAddress(request);
        Principal principal = Principal.ANONYMOUS;
        String refused = null;
        if (credentials.required()) {
            principal = null;
            String token = null;
            try {
                token = access == AccessPolicy.Access.OPEN ? null : token(ctx, request);
            } catch (ApiError malformed) {
                if (access != AccessPolicy.Access.HOOK) {
                    if (malformed.status() == 401) {
                        // Another scheme (Basic) or a malformed one: as any other 401, the scheme to use.
                        ctx.response().putHeader("WWW-Authenticate", ApiError.bearerChallenge(true));
                    }
                    throw malformed;
                }
                refused = malformed.getMessage(); // a signed webhook needs no Authorization: its handler decides
            }
            if (token != null) {
                try {
                    principal = credentials.authenticate(token);
                } catch (Credentials.Refused e) {
                    refused = e.getMessage();
                }
            }
        }
        boolean limited = credentials.required() || !isLoopback(address);
        Client client = new Client(principal != null && !principal.anonymous() ? principal.name() : "ip:" + address, principal, limited);
        ctx.put(Client.CONTEXT_KEY, client);
        if (principal != null) {
            ctx.put(Who.PRINCIPAL, principal.name()); // for the access log, and who takes a decision
        }
        if (access == AccessPolicy.Access.OPEN) {
            ctx.next();
            return;
        }
        if (limited) {
            long wait = (streamOpen ? streams : requests).acquire(client.key());
            if (wait > 0) {
                throw new ApiError(429, "rate_limited", (streamOpen ? "too many streams opened" : "too many requests")
                        + " by this client (" + (streamOpen ? "--stream-rate-limit" : "--rate-limit") + "); retry in " + wait + " s",
                        Json.object().put("retryAfter", wait)).retryingAfter(wait);
            }
        }
        ApiError refusal = roleRefusal(request, path, principal, refused, access.role());
        if (access == AccessPolicy.Access.HOOK) {
            // Rate, origin and host rules applied; the role only if the webhook has no secret,
            // which its handler alone knows: it answers this refusal then.
            if (refusal != null) {
                ctx.put(Who.OPERATOR_REFUSAL, refusal);
            }
            ctx.next();
            return;
        }
        if (refusal != null) {
            if (refusal.status() == 401) {
                ctx.response().putHeader("WWW-Authenticate", ApiError.bearerChallenge(refused != null));
            }
            throw refusal;
        }
        ctx.next();
    }

    /**
     * Why {@code principal} may not act as {@code role}, or null when it may. A null principal gave
     * no valid credentials; {@code refused} says what was wrong with those it gave, if any.
     */
    private static ApiError roleRefusal(HttpServerRequest request, String path, Principal principal, String refused, Role role) {
        if (principal == null) {
            return refused == null
                    ? new ApiError(401, "unauthenticated", "this server needs a token: send Authorization: Bearer <token>"
                            + " (or, for a browser's WebSocket, the subprotocol stepstream.bearer.<token>)")
                    : new ApiError(401, "invalid_token", refused);
        }
        if (!principal.role().includes(role)) {
            return new ApiError(403, "forbidden", "the role " + principal.role().wire() + " may not " + request.method() + " "
                    + Params.abbreviate(path) + "; it needs " + role.wire(),
                    Json.object().put("role", principal.role().wire()).put("needs", role.wire()));
        }
        return null;
    }

    /**
     * The router's normalised path (escapes of unreserved characters decoded, {@code ..} resolved).
     * @throws ApiError 400 {@code bad_request} for a path with a {@code %} that does not start an
     *                  escape of two hex digits: the router cannot decode it, and would otherwise
     *                  fail the request with a 500 and a stack trace in the log, on every route,
     *                  for anyone, credentials or not
     */
    private static String path(RoutingContext ctx) {
        try {
            return ctx.normalizedPath();
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "bad_request", "the path " + Params.abbreviate(ctx.request().path())
                    + " is malformed: a % must start an escape of two hex digits (RFC 3986), such as %2F");
        }
    }

    private static boolean changes(HttpMethod method) {
        return method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS;
    }

    /**
     * Whether the request asks to open a stream: a WebSocket upgrade (the run stream, the
     * all-runs stream) or an event stream (the SSE form of the run stream). Streams have their
     * own rate ({@code --stream-rate-limit}) and, whatever the method, the origin rule: browsers
     * let any page open a WebSocket or an {@code EventSource} to any server.
     */
    private static boolean opensStream(HttpServerRequest request) {
        // Any Upgrade that lists websocket, in whatever case or place of its list (RFC 9110,
        // 7.8), on whichever of several headers: all that the stream routes would upgrade, and more.
        if (request.canUpgradeToWebSocket() || request.headers().getAll("Upgrade").stream().anyMatch(Guard::listsWebSocket)) {
            return true;
        }
        return request.headers().getAll("Accept").stream().anyMatch(accept -> accept.contains("text/event-stream"));
    }

    /** Whether an Upgrade header's list names the WebSocket protocol ({@code websocket}, or {@code websocket/VERSION}). */
    private static boolean listsWebSocket(String upgrade) {
        for (String protocol : upgrade.split(",")) {
            String name = protocol.strip();
            int slash = name.indexOf('/');
            if ((slash < 0 ? name : name.substring(0, slash)).equalsIgnoreCase("websocket")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The bearer token, from (in order) the Authorization header, a {@code stepstream.bearer.}
     * subprotocol, or the {@code access_token} query parameter (GET only: a URL ends up in logs).
     */
    private static String token(RoutingContext ctx, HttpServerRequest request) {
        String authorization = request.getHeader("Authorization");
        if (authorization != null) {
            String trimmed = authorization.trim();
            if (trimmed.length() < 8 || !trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new ApiError(401, "invalid_token", "Authorization: expected Bearer <token>");
            }
            return trimmed.substring(7).trim();
        }
        String protocols = request.getHeader("Sec-WebSocket-Protocol");
        if (protocols != null) {
            for (String protocol : protocols.split(",")) {
                String trimmed = protocol.trim();
                if (trimmed.startsWith(BEARER_PROTOCOL)) {
                    return trimmed.substring(BEARER_PROTOCOL.length());
                }
            }
        }
        if (request.method() == HttpMethod.GET) {
            List<String> values;
            try {
                values = ctx.queryParam("access_token");
            } catch (RuntimeException e) {
                throw new ApiError(400, "invalid_parameter", "the query string is malformed");
            }
            if (values.size() > 1) {
                throw ApiError.badParameter("access_token", "given more than once");
            }
            return values.isEmpty() ? null : values.get(0);
        }
        return null;
    }

    /** The client's address: the peer's, or behind a trusted proxy the last hop it names in X-Forwarded-For. */
    private String clientAddress(HttpServerRequest request) {
        if (trustProxy) {
            String forwarded = request.getHeader("X-Forwarded-For");
            if (forwarded != null && !forwarded.isBlank()) {
                String[] hops = forwarded.split(",");
                String last = hops[hops.length - 1].trim();
                if (!last.isEmpty() && last.length() <= 64) {
                    return last.toLowerCase(Locale.ROOT);
                }
            }
        }
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    private static boolean isLoopback(String address) {
        // Literal forms only: a name is never resolved on the event loop.
        return LOOPBACK_V4.matcher(address).matches() || address.equals("::1")
                || address.equals("0:0:0:0:0:0:0:1") || address.startsWith("::ffff:127.");
    }

    private boolean localHost(String hostHeader) {
        if (hostHeader == null) {
            return true; // HTTP/1.0 without Host: not a browser
        }
        String host = Origins.withoutPort(hostHeader.trim().toLowerCase(Locale.ROOT));
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.equals("localhost") || host.endsWith(".localhost") || isLoopback(host) || localHosts.contains(host);
    }

    private static void refuse(RoutingContext ctx, ApiError error) {
        AccessLog.refused(ctx, error.code());
        error.send(ctx);
    }

    /**
     * A body that has not fully arrived within {@code --request-timeout} of the request's head
     * is answered 408 and its connection closed: a client trickling a body holds nothing longer.
     * Work that is slow after the body arrived (a busy store) is not cut short.
     */
    private void bodyDeadline(RoutingContext ctx, HttpServerRequest request) {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.currentContext().owner();
        long timeoutMs = connections.requestTimeoutMs();
        long timer = vertx.setTimer(timeoutMs, ignored -> {
            if (!request.isEnded() && !ctx.response().ended() && !ctx.response().closed()) {
                answerAndClose(ctx, new ApiError(408, "request_timeout", "the request body did not arrive within "
                        + timeoutMs / 1000.0 + " s (--request-timeout)"));
            }
        });
        ctx.addEndHandler(ignored -> vertx.cancelTimer(timer));
    }

    private static void answerAndClose(RoutingContext ctx, ApiError error) {
        AccessLog.refused(ctx, error.code());
        ConnectionClose.announce(ctx);
        error.send(ctx).onComplete(ignored -> ctx.request().connection().close());
    }
}
