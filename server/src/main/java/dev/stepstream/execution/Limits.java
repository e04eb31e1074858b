package dev.stepstream.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;

/** Size limits on what a run may put into its events (docs/api.md, "Limits": 16 KiB messages and values). */
final class Limits {
    static final int MAX_MESSAGE_BYTES = 16 * 1024;
    static final int MAX_VALUE_BYTES = 16 * 1024;
    static final int PREVIEW_CHARS = 1024;

    private Limits() {}

    /** The message cut to at most {@value #MAX_MESSAGE_BYTES} UTF-8 bytes, or null if it fits. */
    static String cutOrNull(String message) {
        if (message.length() <= MAX_MESSAGE_BYTES / 3) {
            return null; // even three bytes a char fits
        }
        byte[] utf8 = message.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_MESSAGE_BYTES) {
            return null;
        }
        int end = MAX_MESSAGE_BYTES;
        while (end > 0 && (utf8[end] & 0xC0) == 0x80) {
            end--; // back up to the start of a UTF-8 sequence
        }
        return new String(utf8, 0, end, StandardCharsets.UTF_8);
    }

    /** True when {@code json} is over {@value #MAX_VALUE_BYTES} UTF-8 bytes (counted only when it could be). */
    private static boolean tooLarge(String json) {
        return json.length() > MAX_VALUE_BYTES / 3 && json.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES;
    }

    /** True when a variable_change carries a preview of {@code value} rather than the value ({@link #previewOrNull}). */
    static boolean previewed(JsonNode value) {
        return tooLarge(value.toString());
    }

    /**
     * Cuts each output value over {@value #MAX_VALUE_BYTES} bytes, in place: a string to that
     * many UTF-8 bytes, another value to its JSON text cut so. True if any was cut.
     */
    static boolean cutOutputs(ObjectNode outputs) {
        boolean cut = false;
        for (var field : outputs.properties()) {
            JsonNode value = field.getValue();
            String text = value.isTextual() ? value.textValue() : value.toString();
            String shorter = cutOrNull(text);
            if (shorter != null) {
                field.setValue(TextNode.valueOf(shorter));
                cut = true;
            }
        }
        return cut;
    }

    static String preview(String json) {
        return json.length() <= PREVIEW_CHARS ? json : json.substring(0, PREVIEW_CHARS) + "…";
    }

    /** The text preview a variable_change carries of {@code value}, when its JSON is over {@value #MAX_VALUE_BYTES} bytes; else null. */
    static String previewOrNull(JsonNode value) {
        String json = value.toString();
        return tooLarge(json) ? preview(json) : null;
    }

    /**
     * A copy of the variables with each value over {@value #MAX_VALUE_BYTES} bytes of JSON
     * replaced by the preview its variable_change carries.
     */
    static ObjectNode previewed(ObjectNode variables) {
        ObjectNode copy = variables.objectNode();
        for (var variable : variables.properties()) {
            String preview = previewOrNull(variable.getValue());
            copy.set(variable.getKey(), preview == null ? variable.getValue() : TextNode.valueOf(preview));
        }
        return copy;
    }
}
