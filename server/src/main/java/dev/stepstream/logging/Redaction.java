package dev.stepstream.logging;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes credentials out of text before it is logged: the value of an {@code access_token}
 * query parameter, a bearer token (as in {@code Authorization: Bearer …}), and the token of a
 * {@code stepstream.bearer.<token>} WebSocket subprotocol (docs/api.md, "The run stream"). The access
 * log redacts what it writes; every log line goes through here once more in the encoders, so a
 * token that some other message carries is not written either.
 *
 * <p>A query parameter's name is read as the server reads it, decoded: Vert.x takes
 * {@code ?%61ccess_token=…} or {@code ?access%5Ftoken=…} for {@code access_token} (case aside),
 * and authenticates with it, so those values are redacted too. So is the value of any name that
 * reads {@code access_token} once decoded, give or take case and punctuation
 * ({@code access+token}, {@code accessToken}): a token sent under a misspelt name is still a token.
 * Likewise a name that is a credential's by its words, which the server does not take but a
 * client sends by mistake: any ending in {@code token} ({@code ?token=}, {@code api_token}),
 * {@code jwt}, {@code bearer}, {@code authorization}.
 */
public final class Redaction {
    public static final String MARK = "[redacted]";

    /** A query value runs to the next parameter, or to whatever cannot be in a URL. */
    private static final Pattern ACCESS_TOKEN = Pattern.compile("(?i)(access_token=)[^&#\\s\"'<>]+");
    /**
     * A {@code name=value} pair whose name starts a query string, follows another parameter
     * ({@code &}, or {@code ;} as Vert.x reads a query), or starts a word. The look-behind makes a
     * match fail at once anywhere else, so that a long path without {@code =} costs one pass.
     */
    private static final Pattern PARAMETER = Pattern.compile("(?<![^\\s?&;\"'<>(])([^\\s=?&;#\"'<>]+)=([^&;#\\s\"'<>]+)");
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
        if (!lower.contains("token") && !lower.contains("bearer") && !lower.contains("jwt") && !lower.contains("authorization")
                && text.indexOf('%') < 0) {
            return text; // the common case: nothing to look for, no regex run
        }
        String replacement = "$1" + Matcher.quoteReplacement(MARK);
        String redacted = ACCESS_TOKEN.matcher(text).replaceAll(replacement);
        redacted = PARAMETER.matcher(redacted).replaceAll(parameter -> isCredential(parameter.group(1))
                ? Matcher.quoteReplacement(parameter.group(1) + "=" + MARK) : Matcher.quoteReplacement(parameter.group()));
        redacted = SUBPROTOCOL.matcher(redacted).replaceAll(replacement);
        return BEARER.matcher(redacted).replaceAll(replacement);
    }

    /** Names of query parameters (their letters and digits, lower case) that hold a credential whatever comes before. */
    private static final java.util.Set<String> CREDENTIALS = java.util.Set.of("jwt", "bearer", "authorization");
    /** Longer names are no credential's: the scan of a name stops there. */
    private static final int LONGEST_NAME = 64;

    /**
     * Whether a query parameter's name, as written, names a credential: its percent-escapes
     * decoded (a {@code %} that starts no escape is kept as written), then only its ASCII letters
     * and digits compared, case aside, it ends in {@code token} (so {@code access_token}, as the
     * server reads it, and {@code token}) or is one of {@link #CREDENTIALS}.
     */
    static boolean isCredential(String name) {
        StringBuilder letters = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' && i + 2 < name.length() && hex(name.charAt(i + 1)) >= 0 && hex(name.charAt(i + 2)) >= 0) {
                c = (char) (hex(name.charAt(i + 1)) * 16 + hex(name.charAt(i + 2)));
                i += 2;
            }
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                letters.append(c);
            } else if (c >= 'A' && c <= 'Z') {
                letters.append((char) (c + ('a' - 'A')));
            }
            if (letters.length() > LONGEST_NAME) {
                return false;
            }
        }
        String word = letters.toString();
        return word.endsWith("token") || CREDENTIALS.contains(word);
    }

    private static int hex(char c) {
        return c < 128 ? Character.digit(c, 16) : -1;
    }
}
