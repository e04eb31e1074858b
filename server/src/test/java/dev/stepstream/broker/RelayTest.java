package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.events.RunEvent;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.ManualClock;
import dev.stepstream.testing.Postgres;
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
        relay = new Relay("node-a", store, hub, hub, Duration.ofSeconds(10), () -> true, runId -> { }, runId -> { }, clock);
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

    /**
     * A node that polls reads each deletion from the store's log at every poll for seconds (the
     * window looks back past the last poll), and may have been told of it already: the hub is
     * told once, also of runs the relay never knew (most that retention deletes).
     */
    @Test
    void aDeletionReadAtEveryPollAndToldByNoticeTooIsToldOnce() throws Exception {
        try (Postgres postgres = Postgres.schema(); Store shared = Stores.postgres(postgres.url())) {
            Relay polling = new Relay("node-a", shared, hub, hub, Duration.ofSeconds(1), () -> false, runId -> { }, runId -> { }, clock);
            try {
                RunLog here = new RunLog(shared);      // deleted through this node: its notice, then the log
                RunLog elsewhere = new RunLog(shared); // deleted through another: the log alone
                for (RunLog run : List.of(here, elsewhere)) {
                    dev.stepstream.testing.Commits.commit(shared, List.of(run.runStart(), run.runComplete()));
                    assertThat(shared.deleteRun(run.runId)).isInstanceOf(dev.stepstream.store.RunDeletion.Deleted.class);
                }
                polling.deleted(here.runId, "wf");
                for (int poll = 0; poll < 4; poll++) {
                    clock.advance(Duration.ofSeconds(1));
                    CountDownLatch polled = new CountDownLatch(2); // the check runs after the first task, before the second
                    polling.execute(polled::countDown);
                    polling.execute(polled::countDown);
                    assertThat(polled.await(10, TimeUnit.SECONDS)).isTrue();
                }
                assertThat(hub.deleted()).containsExactly(here.runId, elsewhere.runId);
            } finally {
                polling.close();
            }
        }
    }

    @Test
    void aRunsQueueingIsDeliveredBeforeItsStartOrNotAtAll() throws Exception {
        RunLog inOrder = new RunLog(store);
        relay.queued(inOrder.runId, () -> hub.queued(inOrder.runId, "wf", 1, Instant.now(), RunTrigger.MANUAL));
        relay.local(List.of(inOrder.runStart()));

        RunLog startedFirst = new RunLog(store);   // queued elsewhere, claimed here at once
        relay.local(List.of(startedFirst.runStart()));
        relay.queued(startedFirst.runId, () -> hub.queued(startedFirst.runId, "wf", 1, Instant.now(), RunTrigger.MANUAL));
        drain();

        assertThat(hub.timeline()).containsExactly("run_queued " + inOrder.runId, "run_start " + inOrder.runId,
                "run_start " + startedFirst.runId);
    }
    @Test
    void aSlowRepairOfOneRunsGapHoldsBackThatRunAloneAndItsEventsComeInOrderAfterIt() throws Exception {
        CountDownLatch storeAnswers = new CountDownLatch(1);
        Store slowReads = (Store) java.lang.reflect.Proxy.newProxyInstance(Store.class.getClassLoader(),
                new Class<?>[] {Store.class}, (proxy, method, args) -> {
                    if (method.getName().equals("events")) {
                        storeAnswers.await(); // a read that takes as long as the test says
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        relay.close();
        relay = new Relay("node-a", slowReads, hub, hub, Duration.ofSeconds(10), () -> true, runId -> { }, runId -> { }, clock);

        RunLog gappy = new RunLog(store);
        List<RunEvent> events = new java.util.ArrayList<>(List.of(gappy.runStart(), gappy.stepStart()));
        events.addAll(gappy.logs(5));
        dev.stepstream.testing.Commits.commit(store, events);
        relay.follow(gappy.runId);
        relay.remote(events.subList(0, 1));
        relay.remote(events.subList(5, 6)); // seqs 2 to 5 were lost on the way: a repair reads them
        relay.remote(events.subList(6, 7)); // and this waits behind it

        RunLog other = new RunLog(store);
        relay.local(List.of(other.runStart(), other.stepStart()));
        drain();
        assertThat(hub.seqs(other.runId)).as("another run's events, while the repair waits on the store").containsExactly(1L, 2L);
        assertThat(hub.seqs(gappy.runId)).containsExactly(1L);

        storeAnswers.countDown();
        assertThat(hub.awaitSeq(gappy.runId, 7, Duration.ofSeconds(10))).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void aGapOfMoreThanARepairsBytesIsReadInPartsAndEveryEventComesOnceInOrder() throws Exception {
        RunLog long_ = new RunLog(store);
        List<RunEvent> events = new java.util.ArrayList<>(List.of(long_.runStart(), long_.stepStart()));
        for (int i = 0; i < 2_500; i++) {
            events.add(long_.log(String.valueOf(i % 10).repeat(16_000))); // 40 MB: three parts of at most 16 MiB
        }
        dev.stepstream.testing.Commits.commit(store, events);
        relay.follow(long_.runId);
        relay.remote(events.subList(0, 1));
        relay.remote(events.subList(events.size() - 1, events.size())); // all but the first and the last were lost on the way

        List<Long> seqs = hub.awaitSeq(long_.runId, events.size(), Duration.ofSeconds(20));
        assertThat(seqs).isEqualTo(java.util.stream.LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(hub.largestBatchBytes()).as("the gap's 40 MB came in parts of 16 MiB and a page at most")
                .isLessThan((16L << 20) + 1_000L * 16_200);
    }
}
