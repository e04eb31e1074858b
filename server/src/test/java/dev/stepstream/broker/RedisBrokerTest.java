package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.events.EventType;
import dev.stepstream.events.RunEvent;
import dev.stepstream.json.Json;
import dev.stepstream.store.RunTrigger;
import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.Await;
import dev.stepstream.testing.Commits;
import dev.stepstream.testing.Postgres;
import dev.stepstream.testing.Redis;
import dev.stepstream.time.Clock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker contract on two nodes sharing PostgreSQL (a schema of this class's own) and the
 * machine's Redis; then what only a lossy transport needs: gaps filled from the store, a lost
 * {@code run_complete} found by the poll, Redis down and back.
 */
class RedisBrokerTest extends BrokerContractTest {
    private static final Duration POLL = Duration.ofMillis(300);
    private static Postgres postgres;

    @BeforeAll
    static void services() {
        Redis.require();
        postgres = Postgres.schema();
    }

    @AfterAll
    static void dropSchema() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected Store openStore() {
        return Stores.postgres(postgres.url());
    }

    @Override
    protected List<Node> startNodes(Store store) {
        List<Node> started = new ArrayList<>();
        for (String id : List.of("node-a-" + UUID.randomUUID(), "node-b-" + UUID.randomUUID())) {
            RecordingHub hub = new RecordingHub();
            started.add(new Node(id, new RedisBroker(Redis.URL, id, store, hub, hub, POLL, Clock.system()), hub));
        }
        return started;
    }

    @Override
    protected void awaitFollowing(Node node, UUID runId) {
        Await.until("a subscription to run " + runId, WAIT,
                () -> Redis.subscribers(RedisBroker.runChannel(runId)) > 0 ? true : null);
    }

    /** Publishes events as a node named "elsewhere" would, straight into Redis. */
    private static void publishRaw(UUID runId, List<RunEvent> events) {
        String message = new String(Messages.events("elsewhere", events), StandardCharsets.UTF_8);
        Redis.cli("PUBLISH", RedisBroker.runChannel(runId), message);
    }

    private static List<Long> oneTo(long last) {
        return LongStream.rangeClosed(1, last).boxed().toList();
    }

    @Test
    void eventsMissingBetweenTwoMessagesAreReadFromTheStoreAndDeliveredFirst() {
        RunLog run = new RunLog(store);
        List<RunEvent> events = new ArrayList<>(List.of(run.runStart(), run.stepStart()));
        events.addAll(run.logs(8));
        Commits.commit(store, events);
        watcher().broker().follow(run.runId);
        awaitFollowing(watcher(), run.runId);

        publishRaw(run.runId, events.subList(0, 3));
        publishRaw(run.runId, events.subList(7, 10));

        assertThat(watcher().hub().awaitSeq(run.runId, 10, WAIT)).containsExactlyElementsOf(oneTo(10));
    }

    @Test
    void aRunCompleteThatRedisLostArrivesFromTheStoreWithinAPoll() {
        RunLog run = new RunLog(store);
        List<RunEvent> events = List.of(run.runStart(), run.stepStart(), run.stepComplete(), run.runComplete());
        Commits.commit(store, events);
        watcher().broker().follow(run.runId);
        awaitFollowing(watcher(), run.runId);

        publishRaw(run.runId, events.subList(0, 3));

        long published = System.nanoTime();
        assertThat(watcher().hub().awaitSeq(run.runId, 4, WAIT)).containsExactlyElementsOf(oneTo(4));
        assertThat(Duration.ofNanos(System.nanoTime() - published)).isLessThan(POLL.multipliedBy(10));
    }

    @Test
    void aCancelNoticeReachesTheNodeItNames() {
        AtomicReference<UUID> heard = new AtomicReference<>();
        watcher().broker().onNotices(() -> { }, heard::set, runId -> { });
        Await.until("the watcher listens on its node channel", WAIT,
                () -> Redis.subscribers(RedisBroker.nodeChannel(watcher().id())) > 0 ? true : null);
        UUID runId = UUID.randomUUID();

        publisher().broker().cancel(watcher().id(), runId);

        assertThat(Await.until("the cancel notice", WAIT, heard::get)).isEqualTo(runId);
    }

    @Test
    void whileRedisIsDownTheRunsOfOtherNodesReachTheAllRunsStreamFromTheStore() {
        RedisBroker watcherBroker = (RedisBroker) watcher().broker();
        RunLog run = new RunLog(store);
        RunLog later = new RunLog(store);
        try {
            Redis.stop();
            Await.until("the broker reports Redis down", WAIT, () -> watcherBroker.problem().orElse(null));

            publisher().broker().queued(run.runId, "wf", 1, Json.now(), RunTrigger.MANUAL);
            Await.until("the watcher hears of the queued run", WAIT,
                    () -> watcher().hub().queued().contains(run.runId) ? true : null);
            commit(List.of(run.runStart(), run.stepStart(), run.log("hello")));
            commit(List.of(run.stepComplete(), run.runComplete()));
            watcher().hub().awaitSeq(run.runId, 5, WAIT);
            commit(List.of(later.runStart()));
        } finally {
            Redis.start();
        }
        Await.until("the broker reports Redis up", WAIT, () -> watcherBroker.problem().isEmpty() ? true : null);
        commit(List.of(later.stepStart(), later.stepComplete(), later.runComplete()));

        watcher().hub().awaitSeq(later.runId, 4, WAIT);
        assertThat(watcher().hub().timeline()).filteredOn(item -> item.endsWith(run.runId.toString()))
                .as("the run-level events, each once, in order")
                .containsExactly("run_queued " + run.runId, "run_start " + run.runId, "step_complete " + run.runId,
                        "run_complete " + run.runId);
        assertThat(watcher().hub().events(later.runId)).filteredOn(e -> e.type() != EventType.STEP_START)
                .extracting(RunEvent::seq).containsExactly(1L, 3L, 4L);
    }

    /**
     * A node that cannot reach Redis (its own outage, a partition) publishes nothing: the nodes
     * that can read its runs' run-level events, queueings and deletions from the store, as long
     * as it says so there, so that their all-runs streams still show its runs.
     */
    @Test
    void theRunsOfANodeThatCannotReachRedisReachTheAllRunsStreamOfANodeThatCan() throws Exception {
        String cutOffId = "node-cut-off-" + UUID.randomUUID();
        java.time.Instant now = java.time.Instant.now();
        store.registerNode(cutOffId, now, now.plus(Duration.ofMinutes(5)));
        RecordingHub cutOffHub = new RecordingHub();
        RunLog run = new RunLog(store);
        try (RedisBroker cutOff = new RedisBroker("redis://127.0.0.1:1", cutOffId, store, cutOffHub, cutOffHub, POLL,
                Clock.system())) {
            assertThat(Await.until("the cut-off broker reports Redis down", WAIT, () -> cutOff.problem().orElse(null)))
                    .as("the poll interval as the settings write it").endsWith("(streams poll the store every 300ms)");
            cutOff.queued(run.runId, "wf", 1, Json.now(), RunTrigger.MANUAL);
            for (List<RunEvent> batch : List.of(List.of(run.runStart(), run.stepStart(), run.log("hello")),
                    List.of(run.stepComplete(), run.runComplete()))) {
                Commits.commit(store, batch);
                cutOff.committed(batch);
            }
            watcher().hub().awaitSeq(run.runId, 5, WAIT);
            store.deleteRun(run.runId);
            cutOff.deleted(run.runId, "wf");
            Await.until("the watcher hears of the deletion", WAIT,
                    () -> watcher().hub().deleted().contains(run.runId) ? true : null);
        } finally {
            store.deregisterNode(cutOffId);
        }
        assertThat(watcher().hub().timeline()).filteredOn(item -> item.endsWith(run.runId.toString()))
                .as("the run-level events, each once, in order")
                .containsExactly("run_queued " + run.runId, "run_start " + run.runId, "step_complete " + run.runId,
                        "run_complete " + run.runId);
    }

    @Test
    void whileRedisIsDownFollowedRunsArePolledAndPushResumesWhenItReturns() {
        RunLog run = new RunLog(store);
        watcher().broker().follow(run.runId);
        awaitFollowing(watcher(), run.runId);
        commit(List.of(run.runStart(), run.stepStart()));
        watcher().hub().awaitSeq(run.runId, 2, WAIT);
        RedisBroker watcherBroker = (RedisBroker) watcher().broker();
        try {
            Redis.stop();
            assertThat(Await.until("the broker reports Redis down", WAIT, () -> watcherBroker.problem().orElse(null)))
                    .startsWith("not connected to Redis at ");

            commit(run.logs(5));
            assertThat(watcher().hub().awaitSeq(run.runId, 7, WAIT)).as("polled from the store").containsExactlyElementsOf(oneTo(7));
        } finally {
            Redis.start();
        }
        Await.until("the broker reports Redis up", WAIT, () -> watcherBroker.problem().isEmpty() ? true : null);
        awaitFollowing(watcher(), run.runId);

        // Push is back when an event arrives by Redis, not by the store check a quiet run gets
        // every POLL: one event at a time, since on a loaded machine a push can take longer
        // than the time to the next check, which then reads that event first.
        long seq = 7;
        boolean pushed = false;
        for (int attempt = 0; attempt < 5 && !pushed; attempt++) {
            long repairedBefore = watcherBroker.repairedFromStore();
            commit(List.of(run.log("pushed " + attempt)));
            watcher().hub().awaitSeq(run.runId, ++seq, WAIT);
            pushed = watcherBroker.repairedFromStore() == repairedBefore;
        }
        assertThat(pushed).as("an event pushed by Redis again, not read from the store").isTrue();
        commit(List.of(run.stepComplete(), run.runComplete()));
        assertThat(watcher().hub().awaitSeq(run.runId, seq + 2, WAIT)).containsExactlyElementsOf(oneTo(seq + 2));
    }
}
