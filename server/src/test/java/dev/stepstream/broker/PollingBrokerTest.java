package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import dev.stepstream.testing.Postgres;
import dev.stepstream.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The broker contract for nodes on PostgreSQL without Redis: everything from other nodes comes from the store. */
class PollingBrokerTest extends BrokerContractTest {
    private static final Duration POLL = Duration.ofMillis(100);
    private static Postgres postgres;

    @BeforeAll
    static void database() {
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
        for (String id : List.of("node-a", "node-b")) {
            RecordingHub hub = new RecordingHub();
            started.add(new Node(id, new PollingBroker(id, store, hub, hub, POLL, Clock.system()), hub));
        }
        return started;
    }

    @Override
    protected void awaitFollowing(Node node, UUID runId) {
        CountDownLatch handled = new CountDownLatch(1);
        ((PollingBroker) node.broker()).afterPending(handled::countDown);
        try {
            assertThat(handled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the relay took the follow").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * A run the relay knew only from its queueing (a poll announced it before any topic here
     * followed it) is positioned when it is followed, as a run it did not know is: its events
     * then come once each from the first, and not as a jump to the last one stored.
     */
    @Test
    void aRunAnnouncedBeforeItIsFollowedIsDeliveredWhole() {
        RunLog run = new RunLog(store);
        dev.stepstream.testing.Await.until("the watcher's relay to announce the queued run", WAIT,
                () -> watcher().hub().queued().contains(run.runId) ? Boolean.TRUE : null);
        watcher().broker().follow(run.runId);
        awaitFollowing(watcher(), run.runId);

        commit(List.of(run.runStart(), run.stepStart()));
        commit(run.logs(30));
        commit(List.of(run.stepComplete(), run.runComplete()));

        long last = 2 + 30 + 2;
        assertThat(watcher().hub().awaitSeq(run.runId, last, WAIT))
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last).boxed().toList());
    }
}
