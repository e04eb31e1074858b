package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay's promise, item by item through its inbox as the transport and the committer hand
 * them in: each event of a run once and in order, and a run's queueing before its start.
 */
@Timeout(30)
class RelayTest {
    @TempDir
    Path dir;
    Store store;
    RecordingHub hub = new RecordingHub();
    ManualClock clock = new ManualClock();
    Relay relay;

    @BeforeEach
    void open() {
        store = Stores.sqlite(dir.resolve("relay.db"));
        relay = new Relay(store, hub, hub, Duration.ofSeconds(10), () -> true, runId -> { }, runId -> { }, clock);
    }

    @AfterEach
    void close() {
        relay.close();
        store.close();
    }

    /** Waits until the relay has handled everything handed to it before this call. */
    void drain() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        relay.execute(done::countDown);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRunCompleteThatComesTwiceIsDeliveredOnceEvenWhenTheRunsLastWatcherLeftInBetween() throws Exception {
        RunLog run = new RunLog(store);
        relay.follow(run.runId);
        var start = run.runStart();
        var complete = run.runComplete();
        relay.remote(List.of(start, complete));   // by the run's own channel
        relay.unfollow(run.runId);                 // its last watcher leaves
        relay.remote(List.of(start, complete));   // the same, late, by the all-runs channel

        RunLog unwatched = new RunLog(store);
        var unwatchedComplete = List.of(unwatched.runStart(), unwatched.runComplete());
        relay.remote(unwatchedComplete);
        relay.remote(unwatchedComplete);
        drain();

        assertThat(hub.timeline()).containsExactly("run_start " + run.runId, "run_complete " + run.runId,
                "run_start " + unwatched.runId, "run_complete " + unwatched.runId);
    }

    @Test
    void whatWasDeliveredOfAnEndedRunIsKeptAMinuteSoALateCopyIsStillADuplicate() throws Exception {
        RunLog run = new RunLog(store);
        var events = List.of(run.runStart(), run.runComplete());
        relay.remote(events);
        drain();

        clock.advance(Duration.ofSeconds(50)); // a check of the relay goes by
        drain();
        relay.remote(events);
        drain();
        assertThat(hub.timeline()).as("the copy 50 s late is dropped")
                .containsExactly("run_start " + run.runId, "run_complete " + run.runId);

        clock.advance(Duration.ofMinutes(2));
        drain();
        relay.remote(List.of(run.runComplete()));
        drain();
        assertThat(hub.timeline()).as("forgotten after a minute without news: bounded memory, not an unbounded set")
                .hasSize(3);
    }

    @Test
    void aRunsQueueingIsDeliveredBeforeItsStartOrNotAtAll() throws Exception {
        RunLog inOrder = new RunLog(store);
        relay.queued(inOrder.runId, () -> hub.queued(inOrder.runId, "wf", 1, Instant.now()));
        relay.local(List.of(inOrder.runStart()));

        RunLog startedFirst = new RunLog(store);   // queued elsewhere, claimed here at once
        relay.local(List.of(startedFirst.runStart()));
        relay.queued(startedFirst.runId, () -> hub.queued(startedFirst.runId, "wf", 1, Instant.now()));
        drain();

        assertThat(hub.timeline()).containsExactly("run_queued " + inOrder.runId, "run_start " + inOrder.runId,
                "run_start " + startedFirst.runId);
    }
}
