package dev.stepstream.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %redactedMsg} in a Logback pattern: the message, with credentials taken out ({@link Redaction}). */
public final class RedactingMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return Redaction.text(event.getFormattedMessage());
    }
}
