package dev.stepstream.security;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * CORS for the origins listed with {@code --allowed-origins} (docs/security.md), so that a page
 * served elsewhere can read the API's answers, errors included: an SSE client told 404 or 401
 * can show why instead of retrying. A request from a listed origin gets
 * {@code Access-Control-Allow-Origin} (that origin, as sent) and
 * {@code Access-Control-Expose-Headers} (Retry-After, Location, WWW-Authenticate) on every
 * answer; its preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) is
 * answered 204 with the methods and headers the API takes. With any origin listed, every
 * answer says {@code Vary: Origin}. Any other origin gets no CORS header: the
 * browser keeps the answers from its page, and the {@link Origins} rule still refuses it streams
 * and changes. No credentials mode: the API's credentials are bearer tokens, not cookies.
 *
 * <p>Not Vert.x's {@code CorsHandler}: it answers 403 to an origin it does not list, where this
 * server serves such requests (a same-origin page, a GET from elsewhere) and leaves the rest to
 * {@link Origins}, with the API's error shape. Immutable; runs on the event loop.
 */
final class Cors {
    static final String ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE";
    static final String ALLOW_HEADERS = "Authorization, Content-Type, Last-Event-ID";
    static final String EXPOSE_HEADERS = "Retry-After, Location, WWW-Authenticate";
    /** How long a browser may keep a preflight's answer (Chromium caps it at 2 h, Firefox at 24 h). */
    static final String MAX_AGE_SECONDS = "600";

    private final Origins origins;

    Cors(Origins origins) {
        this.origins = origins;
    }

    /**
     * Adds the CORS headers to the answer when the request's origin is listed; returns whether
     * it is. With any origin listed, every answer says {@code Vary: Origin}: a cache must not
     * hand an answer made for one origin (or for none) to another.
     */
    boolean decorate(RoutingContext ctx) {
        if (!origins.anyListed()) {
            return false;
        }
        ctx.response().putHeader("Vary", "Origin");
        String origin = ctx.request().getHeader("Origin");
        if (origin == null || !origins.listed(origin)) {
            return false;
        }
        ctx.response().putHeader("Access-Control-Allow-Origin", origin)
                .putHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
        return true;
    }

    /** Answers a preflight of a {@link #decorate decorated} request and returns true; false for any other request. */
    boolean answerPreflight(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.method() != HttpMethod.OPTIONS || request.getHeader("Access-Control-Request-Method") == null) {
            return false;
        }
        ctx.response().setStatusCode(204)
                .putHeader("Access-Control-Allow-Methods", ALLOW_METHODS)
                .putHeader("Access-Control-Allow-Headers", ALLOW_HEADERS)
                .putHeader("Access-Control-Max-Age", MAX_AGE_SECONDS)
                .putHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
                .end();
        return true;
    }
}
