package dev.stepstream.security;

import dev.stepstream.api.Who;
import java.time.Instant;

/**
 * Who made a request: a token's name ({@code token:ci}), a JWT's subject ({@code jwt:alice}),
 * or {@link #ANONYMOUS} on a server without credentials configured, with the role it holds and
 * when its credentials stop being valid (null: they do not expire).
 */
public record Principal(String name, Role role, Instant expires) {
    /** Everyone, on a server without credentials configured: it serves only this machine (or a trusted network with --insecure). */
    public static final Principal ANONYMOUS = new Principal(Who.ANONYMOUS, Role.ADMIN, null);

    public boolean anonymous() {
        return this == ANONYMOUS;
    }
}
