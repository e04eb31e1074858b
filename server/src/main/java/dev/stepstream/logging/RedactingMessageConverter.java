package dev.stepstream.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %redactedMsg} in a Logback pattern: the message, with credentials taken out
 * ({@link Redaction}) and its control characters written as escapes, so that a message is one
 * line of plain text whatever it carries. A step's output echoed with {@code --echo-step-logs}, or
 * an input a message quotes, is text from whoever runs a workflow: a line feed in it would forge a
 * log line of its own, and an escape sequence would retitle or rewrite the terminal that shows
 * the log. (The JSON encoder needs none of this: JSON escapes control characters itself.)
 */
public final class RedactingMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return escapeControls(Redaction.text(event.getFormattedMessage()));
    }

    /**
     * {@code text} with each C0 control character but tab, DEL and each C1 control character
     * written as Java writes it in a literal: {@code \n}, {@code \r}, else a backslash, {@code u}
     * and four hex digits. The text itself when it has none (the common case, no copy).
     */
    static String escapeControls(String text) {
        if (text == null) {
            return null;
        }
        int first = 0;
        while (first < text.length() && !isControl(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (isControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static boolean isControl(char c) {
        return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
    }
}
