package dev.stepstream.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.TreeSet;

/**
 * The methods the router answers on a path, for a 405's {@code Allow} header (RFC 9110,
 * 15.5.6: a 405 must say them). Routes of named methods count; those every request passes (the
 * guard, the access log) do not. A route of a prefix (the web page's {@code GET /*}) counts
 * only when asked: it answers a file under it, but nothing under {@code /api/}.
 *
 * <p>Read on the event loop when a request matched no route, from the router's routes as they
 * are then (all mounted at start): a few dozen string comparisons, on the error path only.
 */
final class AllowedMethods {
    private AllowedMethods() {}

    /**
     * The methods that {@code path} allows, as an {@code Allow} header's value, in alphabetical
     * order; empty when none.
     *
     * @param prefixes whether routes of a prefix count
     */
    static String on(Router router, String path, boolean prefixes) {
        String[] segments = path.split("/", -1);
        Set<String> allowed = new TreeSet<>();
        for (Route route : router.getRoutes()) {
            Set<HttpMethod> methods = route.methods();
            if (route.getPath() == null || methods == null || methods.isEmpty()) {
                continue;
            }
            boolean fits = route.isExactPath() ? matches(route.getPath().split("/", -1), segments)
                    : prefixes && path.startsWith(route.getPath());
            if (fits) {
                methods.forEach(method -> allowed.add(method.name()));
            }
        }
        return String.join(", ", allowed);
    }

    /** Whether a path's segments fit a template's: each the same, or any non-empty one for a {@code :param}. */
    private static boolean matches(String[] template, String[] segments) {
        if (template.length != segments.length) {
            return false;
        }
        for (int i = 0; i < template.length; i++) {
            boolean param = template[i].startsWith(":");
            if (param ? segments[i].isEmpty() : !template[i].equals(segments[i])) {
                return false;
            }
        }
        return true;
    }
}
