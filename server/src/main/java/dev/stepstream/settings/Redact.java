package dev.stepstream.settings;

/**
 * What a URL given as a setting ({@code --db}, {@code --redis}, the CLI's {@code --server}) may
 * show of itself in a message or a log line: everything but its credentials.
 */
public final class Redact {
    private Redact() {}

    /**
     * {@code url} with its user-info replaced by {@code ***} ({@code //***@host}: a user name
     * alone may be a token) and the value of a {@code password=} parameter by {@code ***}. The
     * user-info ends at the authority's last {@code @}: a password written with an {@code @} in
     * it ({@code //bob:p@ss@db}) is hidden whole.
     */
    public static String url(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***")
                .replaceAll("//[^/?#]*@", "//***@");
    }
}
