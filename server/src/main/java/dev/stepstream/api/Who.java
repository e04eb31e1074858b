package dev.stepstream.api;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * Who made a request: the client's address, and the principal its credentials name, which the
 * security guard puts in the request's context ({@link #PRINCIPAL}) before any route runs.
 */
public final class Who {
    /** The context key of the principal's name; absent when the request gave no valid credentials. */
    public static final String PRINCIPAL = "stepstream.principal";
    /**
     * The context key, on a webhook's route, of the {@link ApiError} the guard would have
     * answered had the route needed role operator (401 {@code unauthenticated} or
     * {@code invalid_token}, 403 {@code forbidden}); absent when the caller may operate. A webhook
     * without a secret answers it; one with a secret has its signature for credential instead.
     */
    public static final String OPERATOR_REFUSAL = "stepstream.operator-refusal";
    /** The principal of a server without credentials, where every local request may do anything. */
    public static final String ANONYMOUS = "anonymous";

    private Who() {}

    /** {@code 127.0.0.1:50312}, or {@code 127.0.0.1:50312 ci} for a request authenticated as {@code ci}. */
    public static String of(RoutingContext ctx) {
        String address = address(ctx.request());
        String name = ctx.get(PRINCIPAL);
        return name == null || name.equals(ANONYMOUS) ? address : address + " " + name;
    }

    /** The client's address and port, {@code 127.0.0.1:53122}, or {@code -} when unknown. */
    static String address(HttpServerRequest request) {
        SocketAddress remote = request.remoteAddress();
        return remote == null ? "-" : remote.hostAddress() + ":" + remote.port();
    }

    /** The principal's name (a token's name, a JWT's subject), or {@code anonymous} on a server without credentials. */
    public static String principal(RoutingContext ctx) {
        String name = ctx.get(PRINCIPAL);
        return name == null ? ANONYMOUS : name;
    }
}
