package dev.stepstream.secrets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces the values of the secrets a run has read with {@code ***} in what the run emits,
 * before an event is encoded: each value as it is, JSON-escaped, URL-encoded and in base64
 * ({@link #forms}).
 * Longer forms are replaced first, so that a form holding another is replaced whole.
 *
 * <p>What it cannot promise: a step that transforms a value otherwise (reverses it, hashes it,
 * prints it a character a line) is beyond it (docs/security.md).
 *
 * <p>Most text holds no secret: one pass over it, looking each pair of characters up in an index
 * of the forms' first two, tells so, whatever the number of forms (a run reading 100 secrets has
 * about 500; a {@code contains} for each was a tenth of ingest's CPU, docs/BENCHMARKS.md, issue 21).
 * Text in which a form starts is masked form by form, longest first, as before.
 *
 * <p>Thread-safe: {@link #add} replaces an immutable {@link Forms}; {@link #mask} reads it. A run
 * that read no secret pays one volatile read an event.
 */
public final class Masker {
    public static final String MASK = "***";

    /**
     * How the URL encoders in common use differ: the characters besides ASCII letters and digits
     * each leaves as they are, and what it writes for a space. Each is masked with its hex digits
     * in upper case (most encoders) and in lower case.
     */
    private static final List<UrlEncoding> URL_ENCODINGS = List.of(
            new UrlEncoding("-._*", "+"),        // java.net.URLEncoder, HTML forms
            new UrlEncoding("-._*", "%20"),      // the same, a space made %20 after
            new UrlEncoding("-._~", "%20"),      // RFC 3986: Python's quote(safe=""), Go's PathEscape
            new UrlEncoding("-._~/", "%20"),     // Python's quote() as it is called most, which leaves / alone
            new UrlEncoding("-._~", "+"),        // Python's quote_plus, Go's QueryEscape
            new UrlEncoding("-._~!*'()", "%20")); // JavaScript's encodeURIComponent

    private record UrlEncoding(String kept, String space) {}

    private volatile Forms forms = Forms.NONE;

    /** From now on, masks this value's forms. */
    public synchronized void add(String value) {
        Set<String> all = new LinkedHashSet<>(forms.longestFirst());
        all.addAll(forms(value));
        List<String> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        forms = Forms.of(sorted);
    }

    /** Whether no value is masked yet. */
    public boolean isEmpty() {
        return forms.longestFirst().isEmpty();
    }

    public String mask(String text) {
        Forms current = forms;
        List<String> masked = current.longestFirst();
        if (masked.isEmpty() || text == null || !current.anyStartsIn(text)) {
            return text;
        }
        String out = text;
        for (String form : masked) {
            if (out.contains(form)) {
                out = out.replace(form, MASK);
            }
        }
        return out;
    }

    /** Masks every string of a JSON tree in place: values, and object field names too. */
    public void maskInPlace(JsonNode node) {
        if (isEmpty() || node == null) {
            return;
        }
        if (node instanceof ObjectNode object) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(object.properties());
            for (Map.Entry<String, JsonNode> field : fields) {
                JsonNode value = field.getValue();
                String name = mask(field.getKey());
                if (value.isTextual()) {
                    value = TextNode.valueOf(mask(value.textValue()));
                } else {
                    maskInPlace(value);
                }
                if (!name.equals(field.getKey())) {
                    object.remove(field.getKey());
                }
                object.set(name, value);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode element = array.get(i);
                if (element.isTextual()) {
                    array.set(i, TextNode.valueOf(mask(element.textValue())));
                } else {
                    maskInPlace(element);
                }
            }
        }
    }

    /**
     * The forms a value may take in text: as it is; JSON-escaped; URL-encoded as UTF-8 by each
     * of {@link #URL_ENCODINGS}, hex digits in upper and in lower case; in base64, standard and
     * URL-safe, with and without padding. At most 18, most often far fewer: encodings that give
     * the same text are one form (a value of letters, digits and {@code -._} is its own URL
     * form), and a form shorter than {@value Vault#MIN_CHARS} characters is left out.
     */
    static Set<String> forms(String value) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        forms.add(new String(JsonStringEncoder.getInstance().quoteAsString(value)));
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (UrlEncoding encoding : URL_ENCODINGS) {
            forms.add(percentEncoded(bytes, encoding, "0123456789ABCDEF"));
            forms.add(percentEncoded(bytes, encoding, "0123456789abcdef"));
        }
        for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
            forms.add(encoder.encodeToString(bytes));
            forms.add(encoder.withoutPadding().encodeToString(bytes));
        }
        forms.removeIf(form -> form.length() < Vault.MIN_CHARS);
        return forms;
    }

    /** Each byte as %XX in {@code hex}'s digits, but an ASCII letter or digit, one the encoding keeps, and a space. */
    private static String percentEncoded(byte[] bytes, UrlEncoding encoding, String hex) {
        StringBuilder out = new StringBuilder(bytes.length * 3);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c == ' ') {
                out.append(encoding.space());
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || (c < 0x80 && encoding.kept().indexOf(c) >= 0)) {
                out.append((char) c);
            } else {
                out.append('%').append(hex.charAt(c >> 4)).append(hex.charAt(c & 0xF));
            }
        }
        return out.toString();
    }

    /**
     * The forms, longest first, and the same indexed by their first two characters (every form
     * has at least {@value Vault#MIN_CHARS}): {@code seen} is a 4,096-bit filter of the pairs'
     * hashes, {@code byPair} the forms of each pair.
     */
    private record Forms(List<String> longestFirst, long[] seen, Map<Integer, List<String>> byPair) {
        static final Forms NONE = new Forms(List.of(), new long[64], Map.of());

        static Forms of(List<String> longestFirst) {
            long[] seen = new long[64];
            Map<Integer, List<String>> byPair = new java.util.HashMap<>();
            for (String form : longestFirst) {
                int pair = pair(form, 0);
                seen[(hash(pair) >>> 6) & 63] |= 1L << hash(pair);
                byPair.computeIfAbsent(pair, ignored -> new ArrayList<>()).add(form);
            }
            byPair.replaceAll((pair, forms) -> List.copyOf(forms));
            return new Forms(List.copyOf(longestFirst), seen, Map.copyOf(byPair));
        }

        /** Whether any form occurs in {@code text}: one pass, a bit test per position. */
        boolean anyStartsIn(String text) {
            for (int i = 0, last = text.length() - 2; i <= last; i++) {
                int pair = pair(text, i);
                int hash = hash(pair);
                if ((seen[(hash >>> 6) & 63] & (1L << hash)) == 0) {
                    continue;
                }
                List<String> candidates = byPair.get(pair);
                if (candidates != null) {
                    for (String form : candidates) {
                        if (text.startsWith(form, i)) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        private static int pair(String text, int at) {
            return text.charAt(at) << 16 | text.charAt(at + 1);
        }

        /** 12 bits of the pair (the shift in {@code 1L << hash} uses its low 6). */
        private static int hash(int pair) {
            return (pair * 0x9E3779B9) >>> 20;
        }
    }
}
