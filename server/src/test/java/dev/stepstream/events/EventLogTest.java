package dev.stepstream.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.json.Json;
import dev.stepstream.store.NewRun;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Commits;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The event log's contract, over a real SQLite store. */
@Timeout(30)
class EventLogTest {
    @TempDir
    Path dir;
    Store store;
    UUID runId = UUID.randomUUID();

    @BeforeEach
    void open() {
        store = Stores.sqlite(dir.resolve("events.db"));
        store.createRun(new NewRun(runId, "w", 1, "{}".getBytes(), "{}".getBytes(), Instant.now(),
                List.of(new NewRun.StepRef("s", "s"))));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** The run's event with this seq: its run_start, then log lines. */
    RunEvent log(long seq) {
        if (seq == 1) {
            return RunEvent.create(runId, seq, EventType.RUN_START, Json.now(), Json.object().put("workflowId", "w"));
        }
        return RunEvent.create(runId, seq, EventType.STEP_LOG, Json.now(),
                Json.object().put("stepId", "s").put("level", "info").put("message", "line " + seq).put("timestamp", "x"));
    }

    @Test
    void listenersHearOfEventsOnlyAfterTheyAreStoredAndInOrder() throws Exception {
        List<String> problems = new CopyOnWriteArrayList<>();
        List<Long> heard = new CopyOnWriteArrayList<>();
        try (EventLog eventLog = new EventLog(batch -> Commits.commit(store, batch), 64, 16)) {
            eventLog.addListener(batch -> {
                long last = batch.get(batch.size() - 1).seq();
                if (store.events(runId, last - 1, 1).isEmpty()) {
                    problems.add("seq " + last + " was heard before it was stored");
                }
                batch.forEach(event -> heard.add(event.seq()));
            });
            for (long seq = 1; seq <= 1000; seq++) {
                eventLog.append(log(seq));
            }
            assertThat(eventLog.awaitCommitted(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(problems).isEmpty();
        List<Long> expected = new ArrayList<>();
        for (long seq = 1; seq <= 1000; seq++) {
            expected.add(seq);
        }
        assertThat(heard).containsExactlyElementsOf(expected);
        assertThat(store.findRun(runId).orElseThrow().lastSeq()).isEqualTo(1000);
    }

    /**
     * A stopping node closes its log once the runs' last events are in: an idle committer must not
     * be waited for to notice (it waited up to its 100 ms poll, part of every stop and restart).
     */
    @Test
    void closingAnIdleLogDoesNotWaitForTheCommittersPoll() throws InterruptedException {
        EventLog eventLog = new EventLog(batch -> Commits.commit(store, batch), 64, 16);
        eventLog.append(log(1));
        assertThat(eventLog.awaitCommitted(Duration.ofSeconds(10))).isTrue(); // the committer now waits for more

        long started = System.nanoTime();
        eventLog.close();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(60));
        assertThat(store.findRun(runId).orElseThrow().lastSeq()).isEqualTo(1);
    }

    @Test
    void aProducerBlocksWhileTheQueueIsFullAndNothingIsLost() throws Exception {
        CountDownLatch storageBack = new CountDownLatch(1);
        EventLog.Sink slowStorage = batch -> {
            try {
                storageBack.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Commits.commit(store, batch);
        };
        try (EventLog eventLog = new EventLog(slowStorage, 8, 4)) {
            int total = 100;
            Thread producer = Thread.ofVirtual().start(() -> {
                for (long seq = 1; seq <= total; seq++) {
                    eventLog.append(log(seq));
                }
            });
            Await.until("the producer is blocked on the full queue", Duration.ofSeconds(5),
                    () -> producer.getState() == Thread.State.WAITING && eventLog.depth() == 8 ? true : null);
            assertThat(producer.isAlive()).isTrue();

            storageBack.countDown();
            producer.join(Duration.ofSeconds(10));
            assertThat(eventLog.awaitCommitted(Duration.ofSeconds(10))).isTrue();
            assertThat(store.events(runId, 0, 1000)).extracting(RunEvent::seq)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
        }
    }

    @Test
    void aBatchTheStoreRejectsCostsOnlyItsOwnRun() throws Exception {
        UUID other = UUID.randomUUID();
        store.createRun(new NewRun(other, "w", 1, "{}".getBytes(), "{}".getBytes(), Instant.now(), List.of()));
        CountDownLatch hold = new CountDownLatch(1);
        EventLog.Sink gated = batch -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Commits.commit(store, batch);
        };
        try (EventLog eventLog = new EventLog(gated, 64, 64)) {
            eventLog.append(log(1));
            // A bug's event: seq 5 of a run whose log is empty. It must not block the good run.
            eventLog.append(RunEvent.create(other, 5, EventType.STEP_LOG, Json.now(), Json.object().put("stepId", "s")
                    .put("level", "info").put("message", "bad").put("timestamp", "x")));
            eventLog.append(log(2));
            hold.countDown();
            assertThat(eventLog.awaitCommitted(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(store.events(runId, 0, 10)).extracting(RunEvent::seq).containsExactly(1L, 2L);
        assertThat(store.events(other, 0, 10)).isEmpty();
    }
}
