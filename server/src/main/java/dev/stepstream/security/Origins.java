package dev.stepstream.security;

import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;

/**
 * Which browser pages may open a stream or change something (docs/security.md, "Origins, proxies, hosts"): a request
 * without an {@code Origin} header (not a browser), one whose origin is the server's own (the
 * scheme, host and port the request was sent to), or one listed with {@code --allowed-origins}.
 * Anything else is refused with 403 by the {@link Guard}, for every stream (WebSocket and SSE)
 * and every request that changes something: this closes cross-site WebSocket hijacking, which
 * browsers do not prevent (WebSockets are not subject to CORS), streams opened by pages elsewhere,
 * and cross-site form posts.
 *
 * <p>Behind a reverse proxy the request the server sees was sent to the proxy's address by the
 * proxy, not to the address the browser used: with {@code --trust-proxy}, the scheme and host
 * come from the proxy's {@code X-Forwarded-Proto} and {@code X-Forwarded-Host} (their first
 * value). Default ports are dropped on both sides ({@code https://a:443} is {@code https://a}).
 * Immutable.
 */
final class Origins {
    private final List<String> allowed;
    private final boolean trustProxy;

    Origins(List<String> allowed, boolean trustProxy) {
        this.allowed = allowed.stream().map(Origins::normalise).toList();
        this.trustProxy = trustProxy;
    }

    boolean allows(HttpServerRequest request) {
        java.util.List<String> origins = request.headers().getAll("Origin");
        if (origins.isEmpty()) {
            return true;
        }
        if (origins.size() > 1) {
            return false; // a browser sends one; of several, none is more the request's origin than another
        }
        String normalised = normalise(origins.get(0));
        if (allowed.contains(normalised)) {
            return true;
        }
        String scheme = request.scheme();
        String host = request.getHeader("Host");
        if (trustProxy) {
            scheme = first(request.getHeader("X-Forwarded-Proto"), scheme);
            host = first(request.getHeader("X-Forwarded-Host"), host);
        }
        return host != null && scheme != null && normalised.equals(normalise(scheme + "://" + host));
    }

    /** Whether {@code --allowed-origins} lists any origin. */
    boolean anyListed() {
        return !allowed.isEmpty();
    }

    /** Whether {@code origin} is one of those listed with {@code --allowed-origins}. */
    boolean listed(String origin) {
        return allowed.contains(normalise(origin));
    }

    /** The hosts (without port) of the allowed origins. */
    List<String> allowedHosts() {
        return allowed.stream().map(origin -> withoutPort(origin.substring(origin.indexOf("://") + 3))).toList();
    }

    private static String first(String header, String fallback) {
        if (header == null || header.isBlank()) {
            return fallback;
        }
        int comma = header.indexOf(',');
        return (comma < 0 ? header : header.substring(0, comma)).trim();
    }

    static String normalise(String origin) {
        String lower = origin.trim().toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") && lower.endsWith(":80")) {
            return lower.substring(0, lower.length() - 3);
        }
        if (lower.startsWith("https://") && lower.endsWith(":443")) {
            return lower.substring(0, lower.length() - 4);
        }
        return lower;
    }

    static String withoutPort(String hostAndPort) {
        if (hostAndPort.startsWith("[")) {
            int end = hostAndPort.indexOf(']');
            return end < 0 ? hostAndPort : hostAndPort.substring(0, end + 1);
        }
        int colon = hostAndPort.lastIndexOf(':');
        return colon < 0 ? hostAndPort : hostAndPort.substring(0, colon);
    }
}
