package dev.stepstream.logging;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Takes credentials out of text before it is logged: the value of an {@code access_token}
 * query parameter, a bearer token (as in {@code Authorization: Bearer …}), and the token of a
 * {@code stepstream.bearer.<token>} WebSocket subprotocol (docs/api.md, "The run stream"). The access
 * log redacts what it writes; every log line goes through here once more in the encoders, so a
 * token that some other message carries is not written either.
 */
public final class Redaction {
    public static final String MARK = "[redacted]";

    /** A query value runs to the next parameter, or to whatever cannot be in a URL. */
    private static final Pattern ACCESS_TOKEN = Pattern.compile("(?i)(access_token=)[^&#\\s\"'<>]+");
    /** Characters of a bearer token (RFC 6750 b64token) and of a subprotocol (an HTTP token, RFC 9110). */
    private static final String TOKEN = "[A-Za-z0-9!#$%&'*+\\-.^_`|~/=]+";
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)(?!\\[redacted])" + TOKEN);
    private static final Pattern SUBPROTOCOL = Pattern.compile("(?i)(stepstream\\.bearer\\.)" + TOKEN);

    private Redaction() {}

    /** {@code text} with every credential it holds replaced by {@value #MARK}; null stays null. */
    public static String text(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (!lower.contains("access_token") && !lower.contains("bearer")) {
            return text; // the common case: nothing to look for, no regex run
        }
        String replacement = "$1" + java.util.regex.Matcher.quoteReplacement(MARK);
        String redacted = ACCESS_TOKEN.matcher(text).replaceAll(replacement);
        redacted = SUBPROTOCOL.matcher(redacted).replaceAll(replacement);
        return BEARER.matcher(redacted).replaceAll(replacement);
    }
}
