package dev.stepstream.secrets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URLEncoder;
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
 * before an event is encoded: each value as it is, JSON-escaped, URL-encoded (with {@code +} or
 * {@code %20} for a space) and in base64 (standard and URL-safe, with and without padding).
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

    /** The forms a value may take in text. */
    static Set<String> forms(String value) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        forms.add(new String(JsonStringEncoder.getInstance().quoteAsString(value)));
        String url = URLEncoder.encode(value, StandardCharsets.UTF_8);
        forms.add(url);
        forms.add(url.replace("+", "%20"));
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
            forms.add(encoder.encodeToString(bytes));
            forms.add(encoder.withoutPadding().encodeToString(bytes));
        }
        forms.removeIf(form -> form.length() < Vault.MIN_CHARS);
        return forms;
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
