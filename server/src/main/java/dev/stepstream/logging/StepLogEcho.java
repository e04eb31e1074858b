package dev.stepstream.logging;

import dev.stepstream.events.EventLog;
import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --echo-step-logs}: every committed {@code step_log} also goes to the server's console,
 * on the logger {@code stepstream.steps}, as the original design printed them for debugging.
 * It runs on the committer thread, so that logger writes through an asynchronous appender that
 * never blocks (logback.xml): under a flood, lines beyond its queue are dropped from the console,
 * never from the log of the run.
 */
public final class StepLogEcho implements EventLog.Listener {
    private static final Logger steps = LoggerFactory.getLogger("stepstream.steps");

    @Override
    public void committed(List<RunEvent> batch) {
        for (RunEvent event : batch) {
            if (event.type() == EventType.STEP_LOG) {
                var payload = event.payload();
                steps.atInfo()
                        .addKeyValue("runId", event.runId())
                        .addKeyValue("seq", event.seq())
                        .addKeyValue("stepId", payload.path("stepId").asText())
                        .addKeyValue("level", payload.path("level").asText())
                        .log("run {} step {} {}: {}", event.runId(), payload.path("stepId").asText(),
                                payload.path("level").asText(), payload.path("message").asText());
            }
        }
    }
}
