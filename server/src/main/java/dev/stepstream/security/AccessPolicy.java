package dev.stepstream.security;

import java.util.List;
import java.util.Locale;

/**
 * Who may call what: the one table from route to the role it needs, which every request
 * (REST, both WebSockets, SSE, the page) goes through before its handler (see {@link Guard}).
 * A route added to the server gets one line here. A request that matches no line needs
 * {@link Role#VIEWER} to read (GET) and {@link Role#ADMIN} for anything else, so a route
 * forgotten here is closed, not open.
 *
 * <p>Patterns: {@code :name} matches one path segment, {@code *} within a segment matches any
 * text in it ({@code *.mjs}). The first matching line wins. HEAD is checked as GET. The path is
 * the router's normalised one, and empty segments (a trailing or doubled slash, which the router
 * may route as the path without them) are dropped before matching.
 */
final class AccessPolicy {
    /**
     * What a line asks for: nothing (probes, the page's files), a role, or {@code HOOK}: role
     * operator unless the webhook has a secret, whose signature is then the credential. Only the
     * hook's handler knows which (the trigger is in the store): the guard applies every other
     * rule, then hands it its verdict on the role ({@link dev.stepstream.api.Who#OPERATOR_REFUSAL}).
     */
    enum Access { OPEN, VIEWER, OPERATOR, ADMIN, HOOK;
        Role role() {
            return switch (this) {
                case OPEN -> null;
                case HOOK -> Role.OPERATOR;
                default -> Role.valueOf(name());
            };
        }
    }

    /** One line of the policy; its pattern is split into segments once, not at each request. */
    static final class Rule {
        private final String method;
        private final String[] pattern;
        private final Access access;

        Rule(String method, String pattern, Access access) {
            this.method = method;
            this.pattern = segments(pattern);
            this.access = access;
        }

        Access access() {
            return access;
        }

        boolean matches(String requestMethod, String[] path) {
            return method.equals(requestMethod) && AccessPolicy.matches(pattern, path);
        }
    }

    static final List<Rule> RULES = List.of(
            // Probes: load balancers and orchestrators call them without credentials.
            new Rule("GET", "/healthz", Access.OPEN),
            new Rule("GET", "/readyz", Access.OPEN),
            // Operations (issue 8): metrics name workflows and counts, so a token is needed (a
            // Prometheus scrape config sends one); the API description is no secret but is
            // served to API users only, like the rest of /api.
            new Rule("GET", "/metrics", Access.VIEWER),
            new Rule("GET", "/api/v2/openapi.json", Access.VIEWER),
            // Runs, their history and streams (the SSE form shares the events route).
            new Rule("GET", "/api/v2/workflows/runs", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/compare", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/:runId", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/:runId/state", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/:runId/events", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/:runId/log", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/runs/:runId/stream", Access.VIEWER),
            new Rule("DELETE", "/api/v2/workflows/runs/:runId", Access.ADMIN),
            new Rule("POST", "/api/v2/workflows/runs/:runId/cancel", Access.OPERATOR),
            new Rule("POST", "/api/v2/workflows/runs/:runId/retry", Access.OPERATOR),
            new Rule("POST", "/api/v2/workflows/runs/:runId/steps/:stepId/approve", Access.OPERATOR),
            new Rule("POST", "/api/v2/workflows/runs/:runId/steps/:stepId/reject", Access.OPERATOR),
            new Rule("GET", "/api/v2/stream", Access.VIEWER),
            // Secrets: values are never answered, but even their names are the admin's.
            new Rule("GET", "/api/v2/secrets", Access.ADMIN),
            new Rule("PUT", "/api/v2/secrets/:name", Access.ADMIN),
            new Rule("DELETE", "/api/v2/secrets/:name", Access.ADMIN),
            new Rule("POST", "/api/v2/secrets/rotate-key", Access.ADMIN),
            // Webhooks (issue 17): a signed body, or an operator's credentials (see Access.HOOK).
            new Rule("POST", "/api/v2/hooks/:workflowId/:triggerId", Access.HOOK),
            // Workflows.
            new Rule("GET", "/api/v2/workflows", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/:workflowId", Access.VIEWER),
            new Rule("GET", "/api/v2/workflows/:workflowId/versions", Access.VIEWER),
            new Rule("POST", "/api/v2/workflows/:workflowId/execute", Access.OPERATOR),
            new Rule("PUT", "/api/v2/workflows/:workflowId", Access.ADMIN),
            new Rule("DELETE", "/api/v2/workflows/:workflowId", Access.ADMIN),
            // The web page's files hold no data (every call the page makes carries the token),
            // and a browser cannot send a bearer token when it loads a page.
            new Rule("GET", "/", Access.OPEN),
            new Rule("GET", "/runs/:runId", Access.OPEN),
            new Rule("GET", "/workflows/:workflowId", Access.OPEN),
            new Rule("GET", "/compare", Access.OPEN),
            new Rule("GET", "/*.html", Access.OPEN),
            new Rule("GET", "/*.mjs", Access.OPEN),
            new Rule("GET", "/*.css", Access.OPEN),
            new Rule("GET", "/*.png", Access.OPEN),
            new Rule("GET", "/*.svg", Access.OPEN),
            new Rule("GET", "/*.ico", Access.OPEN));

    private AccessPolicy() {}

    /** What {@code method} on {@code path} needs. */
    static Access access(String method, String path) {
        String normalised = method.toUpperCase(Locale.ROOT);
        if (normalised.equals("HEAD")) {
            normalised = "GET";
        }
        String[] segments = segments(path);
        for (Rule rule : RULES) {
            if (rule.matches(normalised, segments)) {
                return rule.access();
            }
        }
        return normalised.equals("GET") ? Access.VIEWER : Access.ADMIN;
    }

    private static String[] segments(String path) {
        String[] parts = path.split("/");
        int kept = 0;
        for (String part : parts) {
            if (!part.isEmpty()) {
                parts[kept++] = part;
            }
        }
        return kept == parts.length ? parts : java.util.Arrays.copyOf(parts, kept);
    }

    private static boolean matches(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return false;
        }
        for (int i = 0; i < pattern.length; i++) {
            String want = pattern[i];
            String have = path[i];
            if (want.startsWith(":")) {
                if (have.isEmpty()) {
                    return false;
                }
            } else if (want.startsWith("*")) {
                String suffix = want.substring(1);
                if (have.length() <= suffix.length() || !have.endsWith(suffix)) {
                    return false;
                }
            } else if (!want.equals(have)) {
                return false;
            }
        }
        return true;
    }
}
