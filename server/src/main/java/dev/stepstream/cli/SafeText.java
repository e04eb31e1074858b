package dev.stepstream.cli;

/**
 * Text from a run (a log message, a step's name, an error, a value), made safe to write to a
 * terminal: a script's output must not retitle, clear or rewrite the terminal of whoever follows
 * the run. Every piece of such text that the CLI prints goes through {@link #sanitise}.
 *
 * <ul>
 *   <li>With colour (a terminal): a well-formed SGR sequence, {@code ESC [ <digits and ;> m}
 *       (16, 256 and 24-bit colours, bold, underline, resets…), is kept as it is; a line that
 *       leaves attributes on is ended with {@code ESC [0m}, so that colours never bleed into
 *       the next line. Every other escape sequence is shown instead of interpreted: its ESC is
 *       shown as {@code ␛} and the rest of it as the text it is ({@code ␛]0;title␇},
 *       {@code ␛[2J}, {@code ␛[?1049h}).</li>
 *   <li>Without colour (piped, {@code NO_COLOR}, {@code TERM=dumb}): every well-formed escape
 *       sequence is removed, SGR included: CSI ({@code ESC [ … final}), OSC ({@code ESC ] …}
 *       ended by BEL or ST), DCS, SOS, PM and APC strings (ended by ST), the two-character
 *       escapes ({@code ESC c}, {@code ESC 7}, {@code ESC ( B}…), and their 8-bit forms
 *       (0x9B CSI, 0x9D OSC, 0x90 DCS…). A sequence that is not well-formed (an ESC alone, an OSC
 *       with no end, a CSI cut short) is not removed, as it would hide text: it is shown as with
 *       colour.</li>
 *   <li>Both ways, every other control character is shown as a visible glyph: C0 controls as
 *       their Unicode control pictures ({@code ␛ ␇ ␈ ␍ ␀}…), DEL as {@code ␡}, and C1 controls
 *       (U+0080–U+009F) as their 7-bit equivalents, {@code ␛} and a character (0x9B as
 *       {@code ␛[}, 0x85 as {@code ␛E}). A tab stays a tab. A line feed (or CR LF) becomes
 *       {@code newline}, which the caller chooses: a line break and an indent, so that a
 *       multi-line message goes on under its first line, or {@code ⏎} for what must stay on one
 *       line. A lone CR is shown ({@code ␍}): it would move the cursor back over the line.</li>
 * </ul>
 */
final class SafeText {
    static final char ESC = '\u001b';
    static final String RESET = ESC + "[0m";

    private SafeText() {}

    /** {@code text} safe to print: with {@code colour}, SGR sequences kept; each line feed replaced by {@code newline}. */
    static String sanitise(String text, boolean colour, String newline) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        boolean attributesOn = false;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == ESC || isSequenceIntroducer(c)) {
                int end = sequenceEnd(text, i);
                if (end > 0 && colour && isSgr(text, i, end)) {
                    out.append(text, i, end);
                    attributesOn = leavesAttributesOn(text, i + 2, end - 1, attributesOn);
                    i = end;
                    continue;
                }
                if (end > 0 && !colour) {
                    i = end;
                    continue;
                }
                appendVisible(out, c);
                i++;
            } else if (c == '\n' || (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n')) {
                if (attributesOn) {
                    out.append(RESET);
                    attributesOn = false;
                }
                out.append(newline);
                i += c == '\r' ? 2 : 1;
            } else {
                if (c == '\t' || !isControl(c)) {
                    out.append(c);
                } else {
                    appendVisible(out, c);
                }
                i++;
            }
        }
        if (attributesOn) {
            out.append(RESET);
        }
        return out.toString();
    }

    /** C0 (tab and line feed included), DEL and C1. */
    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }

    /** How a control character is shown: a control picture, {@code ␡}, or {@code ␛} and the C1's 7-bit equivalent. */
    private static void appendVisible(StringBuilder out, char c) {
        if (c < 0x20) {
            out.append((char) (0x2400 + c));
        } else if (c == 0x7f) {
            out.append('\u2421');
        } else {
            out.append('\u241b').append((char) (c - 0x40));
        }
    }

    /** The 8-bit CSI, OSC, DCS, SOS, PM and APC: each starts a sequence as its 7-bit form does. */
    private static boolean isSequenceIntroducer(char c) {
        return c == 0x9b || c == 0x9d || c == 0x90 || c == 0x98 || c == 0x9e || c == 0x9f;
    }

    /**
     * The end (exclusive) of the well-formed escape sequence that starts at {@code start} (an
     * ESC or an 8-bit introducer), or -1 when none does (cut short by another control, a
     * character outside its grammar, or the end of the text).
     */
    static int sequenceEnd(String text, int start) {
        char c = text.charAt(start);
        if (c != ESC) {
            return switch (c) {
                case 0x9b -> csiEnd(text, start + 1);
                case 0x9d -> stringEnd(text, start + 1, true);
                default -> stringEnd(text, start + 1, false);
            };
        }
        if (start + 1 >= text.length()) {
            return -1;
        }
        char next = text.charAt(start + 1);
        return switch (next) {
            case '[' -> csiEnd(text, start + 2);
            case ']' -> stringEnd(text, start + 2, true);
            case 'P', 'X', '^', '_' -> stringEnd(text, start + 2, false);
            default -> {
                // ESC, intermediates (0x20–0x2F), a final (0x30–0x7E): ESC c, ESC 7, ESC ( B…
                int j = start + 1;
                while (j < text.length() && text.charAt(j) >= 0x20 && text.charAt(j) <= 0x2f) {
                    j++;
                }
                yield j < text.length() && text.charAt(j) >= 0x30 && text.charAt(j) <= 0x7e ? j + 1 : -1;
            }
        };
    }

    /** Parameters (0x30–0x3F), intermediates (0x20–0x2F), then a final (0x40–0x7E). */
    private static int csiEnd(String text, int j) {
        int n = text.length();
        while (j < n && text.charAt(j) >= 0x30 && text.charAt(j) <= 0x3f) {
            j++;
        }
        while (j < n && text.charAt(j) >= 0x20 && text.charAt(j) <= 0x2f) {
            j++;
        }
        return j < n && text.charAt(j) >= 0x40 && text.charAt(j) <= 0x7e ? j + 1 : -1;
    }

    /** A control string up to its ST ({@code ESC \} or 0x9C), or for an OSC also BEL; any other control cuts it short. */
    private static int stringEnd(String text, int j, boolean belEnds) {
        for (int n = text.length(); j < n; j++) {
            char c = text.charAt(j);
            if (c == 0x9c || (c == 0x07 && belEnds)) {
                return j + 1;
            }
            if (c == ESC) {
                return j + 1 < n && text.charAt(j + 1) == '\\' ? j + 2 : -1;
            }
            if (isControl(c)) {
                return -1;
            }
        }
        return -1;
    }

    /** Whether the well-formed sequence {@code text[start, end)} is an SGR: {@code ESC [}, digits and {@code ;} only, {@code m}. */
    static boolean isSgr(String text, int start, int end) {
        if (text.charAt(start) != ESC || text.charAt(start + 1) != '[' || text.charAt(end - 1) != 'm') {
            return false;
        }
        for (int j = start + 2; j < end - 1; j++) {
            char c = text.charAt(j);
            if (c != ';' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether attributes are on after an SGR with the parameters {@code text[from, to)}, given
     * whether they were before: a 0 (or an empty parameter) turns all off, anything else may
     * turn something on. The arguments of 38, 48 and 58 (5;n or 2;r;g;b) are colours, not codes.
     * Erring towards "on" costs at most a needless reset.
     */
    private static boolean leavesAttributesOn(String text, int from, int to, boolean on) {
        String[] parameters = text.substring(from, to).split(";", -1);
        for (int k = 0; k < parameters.length; k++) {
            String p = parameters[k];
            if (p.chars().allMatch(ch -> ch == '0')) {
                on = false;
                continue;
            }
            on = true;
            if ((p.equals("38") || p.equals("48") || p.equals("58")) && k + 1 < parameters.length) {
                k += parameters[k + 1].equals("5") ? 2 : parameters[k + 1].equals("2") ? 4 : 0;
            }
        }
        return on;
    }
}
