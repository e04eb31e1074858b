package dev.stepstream.execution;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Schedules on one node (docs/workflows.md, "Schedules"), on a clock the test moves: one run per
 * due time, with the trigger's inputs and {@code {type: schedule, id, dueAt}}; no run for a due
 * time before the workflow existed, nor for those that passed while the node was down; one
 * warning, and no run, for a due time whose run cannot be queued; and each schedule's
 * {@code nextRunAt} in the workflow's answer.
 */
@Timeout(90)
class ScheduleTest {
    private static final Instant START = Instant.parse("2026-12-04T11:59:30Z");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TICK = """
            id: tick
            inputs:
              who: {type: string}
            triggers:
              - {id: every-minute, type: schedule, cron: "* * * * *", inputs: {who: clock}}
              - {id: nightly, type: schedule, cron: "30 2 * * *", timezone: Europe/Paris, inputs: {who: night}}
              - {id: push, type: webhook, inputs: {who: "${body.who}"}}
            steps:
              - {id: greet, type: log, message: "hello ${inputs.who}"}
            """;

    @TempDir
    Path dir;

    @Test
    void aScheduleFiresOncePerDueTimeNeverBeforeItsWorkflowExistedNorWhileNoNodeRan() {
        ManualClock clock = new ManualClock(START);
        TestServer server = TestServer.start(dir, clock, config -> config);
        try {
            server.apply(TICK);
            JsonNode triggers = server.get("/api/v2/workflows/tick").body().path("triggers");
            assertThat(triggers.get(0).path("nextRunAt").asText()).isEqualTo("2026-12-04T12:00:00.000Z");
            assertThat(triggers.get(1).path("nextRunAt").asText()).as("02:30 in Paris, UTC+1 in December")
                    .isEqualTo("2026-12-05T01:30:00.000Z");
            assertThat(triggers.get(2).has("nextRunAt")).as("a webhook has no due times").isFalse();

            clock.advance(Duration.ofSeconds(30)); // 12:00:00
            JsonNode first = awaitScheduled(server, "tick", 1).getFirst();
            assertThat(first.path("trigger").toString())
                    .isEqualTo("{\"type\":\"schedule\",\"id\":\"every-minute\",\"dueAt\":\"2026-12-04T12:00:00.000Z\"}");
            JsonNode run = server.awaitEnd(first.path("runId").asText());
            assertThat(run.path("inputs").toString()).isEqualTo("{\"who\":\"clock\"}");
            assertThat(run.path("status").asText()).isEqualTo("success");

            // Registered at 12:00:30, "late" is not due for 12:00 today, though it would have been had it existed.
            clock.advance(Duration.ofSeconds(30));
            server.apply("""
                    id: late
                    triggers:
                      - {id: noon, type: schedule, cron: "0 12 * * *"}
                    steps:
                      - {id: greet, type: log, message: late}
                    """);
            assertThat(server.get("/api/v2/workflows/late").body().path("triggers").get(0).path("nextRunAt").asText())
                    .isEqualTo("2026-12-05T12:00:00.000Z");
            clock.advance(Duration.ofSeconds(30)); // 12:01:00
            awaitScheduled(server, "tick", 2);
            clock.advance(Duration.ofSeconds(60)); // 12:02:00: the scheduler has looked at "late" since it was stored
            awaitScheduled(server, "tick", 3);
            String manual = server.execute("tick", "{\"who\": \"hand\"}");
            assertThat(runs(server, "workflowId=late")).isEmpty();

            assertThat(runs(server, "trigger=schedule")).extracting(r -> r.path("trigger").path("dueAt").asText())
                    .containsExactly("2026-12-04T12:02:00.000Z", "2026-12-04T12:01:00.000Z", "2026-12-04T12:00:00.000Z");
            assertThat(runs(server, "trigger=manual")).extracting(r -> r.path("runId").asText()).containsExactly(manual);
            server.awaitEnd(manual);
        } finally {
            server.close();
        }

        // Down from 12:02:00 to 12:05:10: 12:03, 12:04 and 12:05 pass while no node runs.
        clock.advance(Duration.ofSeconds(190));
        server = TestServer.start(dir, clock, config -> config);
        try {
            clock.advance(Duration.ofSeconds(50)); // 12:06:00
            awaitScheduled(server, "tick", 4);
            assertThat(runs(server, "trigger=schedule")).extracting(r -> r.path("trigger").path("dueAt").asText())
                    .containsExactly("2026-12-04T12:06:00.000Z", "2026-12-04T12:02:00.000Z", "2026-12-04T12:01:00.000Z",
                            "2026-12-04T12:00:00.000Z");
        } finally {
            server.close();
        }
    }

    @Test
    void aScheduleWhoseClockJumpsFiresOnlyTheLatestDueTime() {
        ManualClock clock = new ManualClock(START);
        try (TestServer server = TestServer.start(dir, clock, config -> config)) {
            server.apply(TICK);
            clock.advance(Duration.ofSeconds(30));
            awaitScheduled(server, "tick", 1);

            clock.advance(Duration.ofMinutes(10)); // a stall past ten due times: one run, for the last
            awaitScheduled(server, "tick", 2);
            clock.advance(Duration.ofMinutes(1));
            assertThat(awaitScheduled(server, "tick", 3)).extracting(r -> r.path("trigger").path("dueAt").asText())
                    .containsExactly("2026-12-04T12:11:00.000Z", "2026-12-04T12:10:00.000Z", "2026-12-04T12:00:00.000Z");
        }
    }

    @Test
    void aRunThatCannotBeQueuedUsesItsDueTimeUpWithOneWarning() {
        var executorLog = (Logger) LoggerFactory.getLogger(Executor.class);
        var warnings = new ListAppender<ILoggingEvent>();
        warnings.start();
        executorLog.addAppender(warnings);
        ManualClock clock = new ManualClock(START);
        try (TestServer server = TestServer.start(dir, clock, config -> config)) {
            server.apply("""
                    id: bad-key
                    inputs:
                      env: {type: string}
                    triggers:
                      - {id: every-minute, type: schedule, cron: "* * * * *", inputs: {env: prod}}
                    concurrency:
                      key: "${inputs.env.region}"
                    steps:
                      - {id: a, type: log, message: never}
                    """);
            for (String due : List.of("2026-12-04T12:00:00Z", "2026-12-04T12:01:00Z")) {
                clock.advance(Duration.between(clock.instant(), Instant.parse(due).plusMillis(500)));
                Await.until("a warning for " + due, WAIT, () -> messages(warnings).stream()
                        .anyMatch(message -> message.contains(due)) ? true : null);
            }
            assertThat(messages(warnings)).containsExactly(
                    "schedule every-minute of workflow bad-key started no run for 2026-12-04T12:00:00Z: concurrency.key:"
                            + " expression \"inputs.env.region\" failed: undefined property \"region\"",
                    "schedule every-minute of workflow bad-key started no run for 2026-12-04T12:01:00Z: concurrency.key:"
                            + " expression \"inputs.env.region\" failed: undefined property \"region\"");
            assertThat(runs(server, "workflowId=bad-key")).isEmpty();
        } finally {
            executorLog.detachAppender(warnings);
        }
    }

    private static List<String> messages(ListAppender<ILoggingEvent> appender) {
        synchronized (appender) { // the lock its doAppend holds
            return appender.list.stream().filter(event -> event.getMessage().startsWith("schedule "))
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** Waits until the workflow has {@code count} scheduled runs; returns them, newest first. */
    private static List<JsonNode> awaitScheduled(TestServer server, String workflowId, int count) {
        return Await.until(workflowId + " has " + count + " scheduled runs", WAIT, () -> {
            List<JsonNode> runs = runs(server, "workflowId=" + workflowId + "&trigger=schedule");
            assertThat(runs.size()).as("scheduled runs of " + workflowId).isLessThanOrEqualTo(count);
            return runs.size() == count ? runs : null;
        });
    }

    private static List<JsonNode> runs(TestServer server, String query) {
        TestServer.Response page = server.get("/api/v2/workflows/runs?limit=500&" + query);
        assertThat(page.status()).as(page.text()).isEqualTo(200);
        List<JsonNode> runs = new ArrayList<>();
        page.body().path("runs").forEach(runs::add);
        return runs;
    }
}
