package dev.stepstream.secrets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Replaces secrets' values with {@code ***} in what a run emits, before an event is encoded:
 * each value as it is, JSON-escaped, URL-encoded and in base64 ({@link #forms}). Longer forms are
 * replaced first, so that a form holding another is replaced whole.
 *
 * <p>A run's masker masks two sets of values: those of every secret defined on the cluster, as
 * the node knows them at the moment (the {@code defined} {@link Forms}, one for the node, shared
 * by its runs: {@link DefinedSecrets}), and those the run itself read ({@link #add}), which it
 * keeps masking even once the secret is deleted or set to another value.
 *
 * <p>What it cannot promise: a step that transforms a value otherwise (reverses it, hashes it,
 * prints it a character a line) is beyond it (docs/security.md).
 *
 * <p>Thread-safe, and cheap on the path of every event: the steps' threads and a script's output
 * readers mask at once. {@code read} is an immutable {@link Forms} replaced whole by {@link #add}
 * (under this object's monitor); {@code union}, the last union of the two sets, is immutable
 * too and replaced whole by whichever thread first sees that one of them changed (two may, and
 * make equal ones). A run that read no secret pays two volatile reads an event, and nothing
 * more while no secret is defined.
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

    private final Supplier<Forms> defined;
    private volatile Forms read = Forms.NONE;
    private volatile Union union = Union.NONE;

    /** The forms of the defined secrets and those of the values read, and their union. */
    private record Union(Forms defined, Forms read, Forms both) {
        static final Union NONE = new Union(Forms.NONE, Forms.NONE, Forms.NONE);
    }

    /** A masker of the values it is given ({@link #add}) alone. */
    public Masker() {
        this(() -> Forms.NONE);
    }

    /** @param defined the forms of the secrets defined now, read at every event: a volatile read, no more */
    public Masker(Supplier<Forms> defined) {
        this.defined = defined;
    }

    /** From now on, masks this value's forms too. */
    public synchronized void add(String value) {
        read = read.and(Forms.of(List.of(value)));
    }

    /** Whether no value is masked now. */
    public boolean isEmpty() {
        return current().isEmpty();
    }

    public String mask(String text) {
        return current().mask(text);
    }

    /** Masks every string of a JSON tree in place (values, object field names) and every number whose digits hold a form. */
    public void maskInPlace(JsonNode node) {
        current().maskInPlace(node);
    }

    private Forms current() {
        Forms all = defined.get();
        Forms own = read;
        if (own.isEmpty()) {
            return all;
        }
        Union last = union;
        if (last.defined() == all && last.read() == own) {
            return last.both();
        }
        Forms both = all.and(own);
        union = new Union(all, own, both);
        return both;
    }

    /**
     * The forms a value may take in text: as it is; JSON-escaped, with what lies past ASCII as it
     * is or as {@code \\u} escapes in lower or upper case, {@code /} as it is or as {@code \\/}; URL-encoded as UTF-8 by each
     * of {@link #URL_ENCODINGS}, hex digits in upper and in lower case; in base64, standard and
     * URL-safe, with and without padding. At most 23, most often far fewer: encodings that give
     * the same text are one form (a value of letters, digits and {@code -._} is its own URL
     * form), and a form shorter than {@value Vault#MIN_CHARS} characters is left out.
     */
    static Set<String> forms(String value) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        String json = new String(JsonStringEncoder.getInstance().quoteAsString(value));
        for (String escaped : List.of(json, asciiOnly(json, "0123456789abcdef"), asciiOnly(json, "0123456789ABCDEF"))) {
            forms.add(escaped);
            forms.add(escaped.replace("/", "\\/"));
        }
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

    /**
     * JSON-escaped text with every character past ASCII as {@code \\uXXXX} in {@code hex}'s
     * digits, a character past the BMP as its two surrogates: what Python's {@code json.dumps}
     * prints by default (lower case), Jackson's {@code ESCAPE_NON_ASCII} (upper case) and PHP's
     * {@code json_encode} (lower case, with {@code /} as {@code \\/}).
     */
    private static String asciiOnly(String json, String hex) {
        StringBuilder out = new StringBuilder(json.length() + 16);
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c < 0x80) {
                out.append(c);
            } else {
                out.append("\\u").append(hex.charAt(c >> 12)).append(hex.charAt(c >> 8 & 0xF))
                        .append(hex.charAt(c >> 4 & 0xF)).append(hex.charAt(c & 0xF));
            }
        }
        return out.toString();
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
     * The forms of some values, immutable, and what masks them: built once and shared by every
     * run that masks them (the node's defined secrets are one Forms).
     *
     * <p>Most text holds no secret: one pass over it, looking each pair of characters up in an
     * index of the forms' first two, tells so, whatever the number of forms (100 secrets have
     * about 500; a {@code contains} for each was a tenth of ingest's CPU, docs/BENCHMARKS.md,
     * issue 21). Text in which a form starts is masked form by form, longest first.
     */
    public static final class Forms {
        public static final Forms NONE = new Forms(List.of());

        /** The forms, longest first. */
        private final List<String> longestFirst;
        /** A 4,096-bit filter of the hashes of the forms' first two characters (every form has at least {@value Vault#MIN_CHARS}). */
        private final long[] seen = new long[64];
        /** The forms by their first two characters. */
        private final Map<Integer, List<String>> byPair;

        private Forms(List<String> longestFirst) {
            this.longestFirst = List.copyOf(longestFirst);
            Map<Integer, List<String>> byPair = new HashMap<>();
            for (String form : this.longestFirst) {
                int pair = pair(form, 0);
                seen[(hash(pair) >>> 6) & 63] |= 1L << hash(pair);
                byPair.computeIfAbsent(pair, ignored -> new ArrayList<>()).add(form);
            }
            byPair.replaceAll((pair, forms) -> List.copyOf(forms));
            this.byPair = Map.copyOf(byPair);
        }

        /** The forms of each of these values. */
        public static Forms of(Collection<String> values) {
            Set<String> all = new LinkedHashSet<>();
            values.forEach(value -> all.addAll(forms(value)));
            return all.isEmpty() ? NONE : longestFirst(all);
        }

        /** These forms and {@code other}'s. */
        Forms and(Forms other) {
            if (other.isEmpty()) {
                return this;
            }
            if (isEmpty()) {
                return other;
            }
            Set<String> all = new LinkedHashSet<>(longestFirst);
            all.addAll(other.longestFirst);
            return longestFirst(all);
        }

        private static Forms longestFirst(Set<String> forms) {
            List<String> sorted = new ArrayList<>(forms);
            sorted.sort(Comparator.comparingInt(String::length).reversed());
            return new Forms(sorted);
        }

        public boolean isEmpty() {
            return longestFirst.isEmpty();
        }

        /** How many forms: for tests and logs. */
        public int size() {
            return longestFirst.size();
        }

        /**
         * {@code text} with every form replaced by {@code ***}; the same instance when it holds
         * none. Forms are found in the text as given, and forms that overlap (two secrets sharing
         * characters, one inside another) are masked as one span: no part of either shows.
         * One pass, a bit test per position where no form starts.
         */
        public String mask(String text) {
            if (longestFirst.isEmpty() || text == null) {
                return text;
            }
            StringBuilder out = null;
            int copied = 0; // text before this is in out
            for (int i = 0, last = text.length() - 2; i <= last; i++) {
                int end = longestFormEnd(text, i);
                if (end < 0) {
                    continue;
                }
                for (int inside = i + 1; inside < end && inside <= last; inside++) {
                    end = Math.max(end, longestFormEnd(text, inside)); // a form that overlaps: one span for both
                }
                out = (out == null ? new StringBuilder(text.length()) : out).append(text, copied, i).append(MASK);
                copied = end;
                i = end - 1;
            }
            return out == null ? text : out.append(text, copied, text.length()).toString();
        }

        /** Masks every string of a JSON tree in place (values, object field names) and every number whose digits hold a form. */
        public void maskInPlace(JsonNode node) {
            if (longestFirst.isEmpty() || node == null) {
                return;
            }
            if (node instanceof ObjectNode object) {
                List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(object.properties());
                for (Map.Entry<String, JsonNode> field : fields) {
                    JsonNode value = field.getValue();
                    String name = mask(field.getKey());
                    if (value.isTextual() || value.isNumber()) {
                        value = masked(value);
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
                    if (element.isTextual() || element.isNumber()) {
                        array.set(i, masked(element));
                    } else {
                        maskInPlace(element);
                    }
                }
            }
        }

        /**
         * A string, masked; a number whose digits hold a form, as the string that masks them (a
         * secret's value given as a number is masked as it would be as a string); the number itself otherwise.
         */
        private JsonNode masked(JsonNode scalar) {
            String text = scalar.asText();
            String masked = mask(text);
            return masked == text ? scalar : TextNode.valueOf(masked);
        }

        /** The end of the longest form that starts at {@code at} in {@code text}, or -1 when none does. */
        private int longestFormEnd(String text, int at) {
            int pair = pair(text, at);
            int hash = hash(pair);
            if ((seen[(hash >>> 6) & 63] & (1L << hash)) == 0) {
                return -1;
            }
            List<String> candidates = byPair.get(pair);
            if (candidates != null) {
                for (String form : candidates) { // longest first
                    if (text.startsWith(form, at)) {
                        return at + form.length();
                    }
                }
            }
            return -1;
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
