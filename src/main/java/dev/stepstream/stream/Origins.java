package dev.stepstream.stream;

import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;

/**
 * Which browser pages may open a stream (API.md, "Origins"): a request without an
 * {@code Origin} header (not a browser), one whose origin is the server's own (the scheme,
 * host and port the request was sent to), or one listed with {@code --allowed-origins}.
 * Anything else is refused with 403 before the upgrade: this closes cross-site WebSocket
 * hijacking, which browsers do not prevent (WebSockets are not subject to CORS).
 */
final class Origins {
    private final List<String> allowed;

    Origins(List<String> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    boolean allows(HttpServerRequest request) {
        String origin = request.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        String normalised = origin.trim().toLowerCase(Locale.ROOT);
        if (allowed.contains(normalised)) {
            return true;
        }
        String host = request.getHeader("Host");
        return host != null && normalised.equals(request.scheme() + "://" + host.trim().toLowerCase(Locale.ROOT));
    }
}
