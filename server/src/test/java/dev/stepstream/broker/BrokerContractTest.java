package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunDeletion;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.testing.Commits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Broker} contract, run against every implementation. A subclass starts a cluster
 * on one store: for the local broker one node, which both publishes and watches; for Redis two
 * nodes. Events are committed to the store and then handed to the publishing node's broker,
 * as its committer does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class BrokerContractTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    /** One node of the test cluster: its broker and what its hub heard. */
    record Node(String id, Broker broker, RecordingHub hub) {}

    protected Store store;
    protected final List<Node> nodes = new ArrayList<>();

    protected abstract Store openStore();

    /** The nodes of the cluster, the publisher first and the watcher last (the same node when there is one). */
    protected abstract List<Node> startNodes(Store store);

    /** Returns once the node's subscription to the run is in place (at once where there is nothing to wait for). */
    protected abstract void awaitFollowing(Node node, UUID runId);

    @BeforeEach
    void startTheCluster() {
        store = openStore();
        nodes.addAll(startNodes(store));
    }

    @AfterEach
    void stopTheCluster() {
        nodes.forEach(node -> node.broker().close());
        store.close();
    }

    Node publisher() {
        return nodes.getFirst();
    }

    Node watcher() {
        return nodes.getLast();
    }

    /** What the publishing node's committer does: commit, then tell the broker. */
    void commit(List<RunEvent> batch) {
        Commits.commit(store, batch);
        publisher().broker().committed(batch);
    }

    @Test
    void aFollowedRunsEventsReachTheWatcherOnceEachInSeqOrderOnOneThread() {
        RunLog run = new RunLog(store);
        RunLog other = new RunLog(store);
        watcher().broker().follow(run.runId);
        watcher().broker().follow(other.runId);
        awaitFollowing(watcher(), run.runId);
        awaitFollowing(watcher(), other.runId);

        commit(List.of(run.runStart(), other.runStart(), run.stepStart()));
        for (int i = 0; i < 10; i++) {
            List<RunEvent> batch = new ArrayList<>(run.logs(30));
            batch.addAll(other.logs(5));
            commit(batch);
        }
        commit(List.of(run.stepComplete(), run.runComplete()));

        long last = 2 + 300 + 2;
        assertThat(watcher().hub().awaitSeq(run.runId, last, WAIT)).containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
        assertThat(watcher().hub().awaitSeq(other.runId, 51, WAIT)).containsExactlyElementsOf(LongStream.rangeClosed(1, 51).boxed().toList());
        assertThat(watcher().hub().deliveryThreads()).as("one delivery thread per node").isEqualTo(1);
        assertThat(watcher().hub().events(run.runId).get(5).json()).as("the stored bytes, not a re-encoding")
                .isEqualTo(store.events(run.runId, 5, 1).getFirst().json());
    }

    @Test
    void theRunLevelEventsOfEveryRunReachEveryNodeInOrder() {
        RunLog run = new RunLog(store);

        commit(List.of(run.runStart(), run.stepStart(), run.log("hello")));
        commit(List.of(run.stepComplete(), run.runComplete()));

        watcher().hub().awaitSeq(run.runId, 5, WAIT);
        assertThat(watcher().hub().events(run.runId)).filteredOn(e -> e.type() != EventType.STEP_LOG && e.type() != EventType.STEP_START)
                .extracting(RunEvent::seq).containsExactly(1L, 4L, 5L);
    }

    @Test
    void everyNodeHearsOfARunsQueueingBeforeItsStart() {
        RunLog run = new RunLog(store);

        publisher().broker().queued(run.runId, "wf", 1, Json.now(), RunTrigger.MANUAL);
        commit(List.of(run.runStart()));

        watcher().hub().awaitSeq(run.runId, 1, WAIT);
        assertThat(watcher().hub().timeline()).filteredOn(item -> item.endsWith(run.runId.toString()))
                .containsExactly("run_queued " + run.runId, "run_start " + run.runId);
    }

    @Test
    void aQueuedRunIsAnnouncedToEveryNode() {
        UUID runId = new RunLog(store).runId; // stored queued first, as the executor does

        RunTrigger trigger = new RunTrigger("schedule", "nightly", Instant.parse("2026-12-04T03:00:00Z"));
        publisher().broker().queued(runId, "wf", 1, Json.now(), trigger);

        assertThat(dev.stepstream.testing.Await.until("the watcher hears of the queued run", WAIT,
                () -> watcher().hub().queued().contains(runId) ? true : null)).isTrue();
        if (watcher().broker() instanceof RedisBroker) {
            // Through the broker's message (a polling node reads the store's row instead, which says manual here).
            assertThat(watcher().hub().trigger(runId)).isEqualTo(trigger);
        }
    }

    @Test
    void aDeletedRunIsToldOnceToEveryNodeThatFollowsItAndARunStillQueuedIsNot() {
        RunLog run = new RunLog(store);
        RunLog queued = new RunLog(store); // no event yet: it exists all the same
        watcher().broker().follow(run.runId);
        watcher().broker().follow(queued.runId);
        awaitFollowing(watcher(), run.runId);
        awaitFollowing(watcher(), queued.runId);
        commit(List.of(run.runStart(), run.stepStart(), run.stepComplete(), run.runComplete()));
        watcher().hub().awaitSeq(run.runId, 4, WAIT);

        assertThat(store.deleteRun(run.runId)).isEqualTo(new RunDeletion.Deleted("wf"));
        publisher().broker().deleted(run.runId, "wf");

        dev.stepstream.testing.Await.until("the watcher hears that run " + run.runId + " was deleted", WAIT,
                () -> watcher().hub().deleted().contains(run.runId) ? true : null);
        // Deliveries after it (by the relay's next check, where nodes poll) tell it no second time.
        commit(List.of(queued.runStart()));
        watcher().hub().awaitSeq(queued.runId, 1, WAIT);
        assertThat(watcher().hub().deleted()).containsExactly(run.runId);
    }
}
