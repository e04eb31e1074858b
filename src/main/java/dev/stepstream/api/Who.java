package dev.stepstream.api;

import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;

/** Who made a request, for the logs: the client's address, and its principal when authentication set one. */
public final class Who {
    private Who() {}

    /** {@code 127.0.0.1:50312}, or {@code 127.0.0.1:50312 ci} for a request authenticated as {@code ci}. */
    public static String of(RoutingContext ctx) {
        SocketAddress remote = ctx.request().remoteAddress();
        String address = remote == null ? "-" : remote.hostAddress() + ":" + remote.port();
        User user = ctx.user();
        String subject = user == null ? null : user.subject();
        return subject == null ? address : address + " " + subject;
    }
}
