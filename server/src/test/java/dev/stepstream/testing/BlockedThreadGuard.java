package dev.stepstream.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records Vert.x's blocked-thread warnings (configured in logback-test.xml), so that a test
 * server fails its test when anything blocked an event loop.
 */
public final class BlockedThreadGuard extends AppenderBase<ILoggingEvent> {
    private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        WARNINGS.add(event.getFormattedMessage());
    }

    public static List<String> warnings() {
        return List.copyOf(WARNINGS);
    }
}
