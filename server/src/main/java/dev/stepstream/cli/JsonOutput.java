package dev.stepstream.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.json.JsonTrees;

/**
 * The JSON of {@code --json} ({@code runs}, {@code secrets list}, {@code follow} and the
 * commands that follow a run). JSON escapes the C0 controls in a string but lets DEL and the C1
 * controls (U+007F–U+009F) through raw, and a terminal obeys those (0x9B is a CSI), so here they
 * are written as <code>&#92;u007F</code>…<code>&#92;u009F</code>: the same JSON to a parser,
 * nothing to a terminal. Every other byte is as before: as {@link JsonNode#toString()} writes a
 * node, as the server sent a line.
 */
final class JsonOutput {
    private static final ControlEscapes ESCAPES = new ControlEscapes();

    private JsonOutput() {}

    /**
     * {@code node} as {@link JsonNode#toString()} writes it, DEL and C1 controls escaped: how
     * {@code runs --json} and {@code secrets list --json} print the API's answer.
     */
    static String of(JsonNode node) {
        return JsonTrees.write(node, ESCAPES); // no mapper: a client command does without one (JsonTrees)
    }

    /**
     * A line of JSON as the server sent it (an envelope of the run stream, which {@link RunView}
     * prints as it came), DEL and C1 controls escaped, every other character kept. Written
     * again from its tree, its numbers and escapes could change; escaping in the text is exact
     * instead, since in valid JSON such a character can only be inside a string, where
     * <code>&#92;u009B</code> means the same. The server wrote the line as JSON; the client
     * library read its envelope (seq, type) and stepped over its payload. Every DEL and C1
     * character is escaped wherever it stands, so none reaches a terminal raw even in a line
     * that is not JSON.
     */
    static String line(String json) {
        StringBuilder out = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c >= 0x7f && c <= 0x9f) {
                if (out == null) {
                    out = new StringBuilder(json.length() + 16).append(json, 0, i);
                }
                out.append(ControlEscapes.escape(c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? json : out.toString();
    }

    /** Jackson's standard escapes (C0, {@code "} and {@code \}), and DEL and C1 as <code>&#92;u00XX</code>. */
    private static final class ControlEscapes extends CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        ControlEscapes() {
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch >= 0x80 && ch <= 0x9f ? new SerializedString(escape((char) ch)) : null;
        }

        /** As Jackson writes a standard escape: upper-case hex. */
        static String escape(char c) {
            return String.format("\\u%04X", (int) c);
        }
    }
}
