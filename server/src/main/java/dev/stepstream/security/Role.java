package dev.stepstream.security;

import java.util.Locale;

/**
 * What a token may do. Each role includes the ones before it: a {@code viewer} reads runs and
 * streams, an {@code operator} also executes and cancels runs, an {@code admin} also puts and
 * deletes workflows.
 */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    /** True when this role may do what {@code needed} may. */
    public boolean includes(Role needed) {
        return compareTo(needed) >= 0;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code text} (viewer, operator, admin), or null. */
    public static Role fromWire(String text) {
        if (text == null) {
            return null;
        }
        for (Role role : values()) {
            if (role.wire().equals(text)) {
                return role;
            }
        }
        return null;
    }
}
