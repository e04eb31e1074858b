package dev.stepstream.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextVO;
import java.util.List;
import java.util.Map;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * Logback's own JSON encoder (one object a line: timestamp, level, thread, logger, message,
 * key-value pairs, throwable), fed events whose message and key-value pairs went through
 * {@link Redaction}. Configured for log shippers: the formatted message only, not the message
 * pattern and its arguments (which would carry what the message redacted), no sequence numbers.
 */
public final class RedactingJsonEncoder extends JsonEncoder {
    public RedactingJsonEncoder() {
        setWithSequenceNumber(false);
        setWithNanoseconds(false);
        setWithContext(false);
        setWithMessage(false);
        setWithArguments(false);
        setWithFormattedMessage(true);
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return super.encode(new Redacted(event));
    }

    /** The event as it is, but for its message and key-value pairs. */
    private record Redacted(ILoggingEvent event) implements ILoggingEvent {
        @Override
        public String getFormattedMessage() {
            return Redaction.text(event.getFormattedMessage());
        }

        @Override
        public String getMessage() {
            return Redaction.text(event.getMessage());
        }

        @Override
        public List<KeyValuePair> getKeyValuePairs() {
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs == null) {
                return null;
            }
            return pairs.stream().map(pair -> pair.value instanceof String text
                    ? new KeyValuePair(pair.key, Redaction.text(text)) : pair).toList();
        }

        @Override
        public Object[] getArgumentArray() {
            return null;
        }

        @Override
        public String getThreadName() {
            return event.getThreadName();
        }

        @Override
        public Level getLevel() {
            return event.getLevel();
        }

        @Override
        public String getLoggerName() {
            return event.getLoggerName();
        }

        @Override
        public LoggerContextVO getLoggerContextVO() {
            return event.getLoggerContextVO();
        }

        @Override
        public IThrowableProxy getThrowableProxy() {
            return event.getThrowableProxy();
        }

        @Override
        public StackTraceElement[] getCallerData() {
            return event.getCallerData();
        }

        @Override
        public boolean hasCallerData() {
            return event.hasCallerData();
        }

        @Override
        public List<Marker> getMarkerList() {
            return event.getMarkerList();
        }

        @Override
        public Map<String, String> getMDCPropertyMap() {
            return event.getMDCPropertyMap();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Map<String, String> getMdc() {
            return event.getMdc();
        }

        @Override
        public long getTimeStamp() {
            return event.getTimeStamp();
        }

        @Override
        public int getNanoseconds() {
            return event.getNanoseconds();
        }

        @Override
        public long getSequenceNumber() {
            return event.getSequenceNumber();
        }

        @Override
        public void prepareForDeferredProcessing() {
            event.prepareForDeferredProcessing();
        }
    }
}
