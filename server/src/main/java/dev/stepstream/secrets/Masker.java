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
 * <p>Thread-safe: {@link #add} replaces an immutable list of forms; {@link #mask} reads it. A run
 * that read no secret pays one volatile read an event.
 */
public final class Masker {
    public static final String MASK = "***";

    private volatile List<String> forms = List.of(); // longest first

    /** From now on, masks this value's forms. */
    public synchronized void add(String value) {
        Set<String> all = new LinkedHashSet<>(forms);
        all.addAll(forms(value));
        List<String> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        forms = List.copyOf(sorted);
    }

    /** Whether no value is masked yet. */
    public boolean isEmpty() {
        return forms.isEmpty();
    }

    public String mask(String text) {
        List<String> masked = forms;
        if (masked.isEmpty() || text == null) {
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
        if (forms.isEmpty() || node == null) {
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
}
