package dev.stepstream.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What can make a URL no server's URL: one the API's paths cannot be put after. The rule, which
 * the {@code stepstream} command line and the JavaScript and Python libraries keep too, in the
 * same words ({@link #what}; docs/clients.md): an http:// or https:// URL with a host, a port from
 * 1 to 65535 if any, and a path if the server is behind a reverse proxy at one, with no space nor
 * control character, no query nor fragment (they would swallow the API's paths), and no password
 * in its user-info (never sent: a bearer token is). A user name alone is allowed, and not sent
 * either.
 */
public enum ServerUrlProblem {
    /** Not an http:// or https:// URL with a host: another scheme, no host, or no URL at all. */
    NOT_HTTP("expected an http:// or https:// URL"),
    /** A port outside 1–65535. */
    PORT("expected a port from 1 to 65535"),
    /** A query: {@code ?x=1/api/v2/…} asks for the page at the server's path, whatever the API's path. */
    QUERY("expected a URL without a query (?…): the API's paths go after it"),
    /** A fragment: it is never sent, and the API's paths would go in it. */
    FRAGMENT("expected a URL without a fragment (#…): the API's paths go after it"),
    /** A password in the user-info ({@code user:password@}): no client sends one. */
    PASSWORD("a password in the URL is never sent; give a token");

    /** A URL's parts (RFC 3986, appendix B): 1 scheme, 2 authority, 3 path, 4 query, 5 fragment; null when absent. */
    private static final Pattern PARTS = Pattern.compile("(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\\?([^#]*))?(?:#(.*))?");
    /** An authority less its user-info: 1 a host (an IPv6 address in brackets, or a name or IPv4 address), 2 the port's digits, maybe none. */
    private static final Pattern HOST_AND_PORT = Pattern.compile("(\\[[^\\]]*\\]|[^:\\[\\]]+)(?::([0-9]*))?");

    private final String what;

    ServerUrlProblem(String what) {
        this.what = what;
    }

    /**
     * What is wrong, in the words every client uses for it; a message adds the URL (the
     * libraries: {@code server: <what>, got <url>}, its user-info shown as {@code ***}).
     */
    public String what() {
        return what;
    }

    /**
     * The first problem of {@code url} as a server's URL, in the order of the constants, or
     * empty when the API's paths can go after it. In Java, a URL that {@link URI} cannot read
     * with a host (a host name with an underscore, say) is {@link #NOT_HTTP} too: the JDK's HTTP
     * clients could not use it.
     */
    public static Optional<ServerUrlProblem> of(String url) {
        Objects.requireNonNull(url, "url");
        if (url.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            return Optional.of(NOT_HTTP);
        }
        Matcher parts = PARTS.matcher(url);
        if (!parts.matches()) {
            throw new AssertionError("every string without a line break has a URL's parts");
        }
        String scheme = parts.group(1);
        String authority = parts.group(2);
        if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || authority == null) {
            return Optional.of(NOT_HTTP);
        }
        int at = authority.lastIndexOf('@');
        Matcher host = HOST_AND_PORT.matcher(authority.substring(at + 1));
        if (!host.matches()) {
            return Optional.of(NOT_HTTP);
        }
        String port = host.group(2);
        if (port != null && !port.isEmpty() && !isPort(port)) {
            return Optional.of(PORT);
        }
        if (parts.group(4) != null) {
            return Optional.of(QUERY);
        }
        if (parts.group(5) != null) {
            return Optional.of(FRAGMENT);
        }
        if (authority.substring(0, Math.max(at, 0)).contains(":")) {
            return Optional.of(PASSWORD);
        }
        try {
            return new URI(url).getHost() == null ? Optional.of(NOT_HTTP) : Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of(NOT_HTTP);
        }
    }

    /** Whether {@code digits} (ASCII, one at least) are a port from 1 to 65535, leading zeros allowed. */
    private static boolean isPort(String digits) {
        String significant = digits.replaceFirst("^0+", "");
        return !significant.isEmpty() && significant.length() <= 5 && Integer.parseInt(significant) <= 65535;
    }
}
