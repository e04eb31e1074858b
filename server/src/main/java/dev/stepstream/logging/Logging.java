package dev.stepstream.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Sets the process's log format, once, before the server starts (logback.xml writes text to
 * stderr through the appender {@value #APPENDER}). Only {@code serve} calls it: tests and
 * embeddings keep their own configuration.
 */
public final class Logging {
    /** The console appender of logback.xml. */
    static final String APPENDER = "STDERR";

    private Logging() {}

    /** With {@link LogFormat#JSON}, the console appender writes one JSON object a line instead of text. */
    public static void use(LogFormat format) {
        if (format != LogFormat.JSON) {
            return;
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return; // not Logback: nothing of ours to configure
        }
        if (!(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(APPENDER)
                instanceof OutputStreamAppender<ILoggingEvent> appender)) {
            return;
        }
        Encoder<ILoggingEvent> json = new RedactingJsonEncoder();
        json.setContext(context);
        json.start();
        appender.stop();
        appender.setEncoder(json);
        appender.start();
    }
}
