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
            started.add(new Node(id, new PollingBroker(store, hub, hub, POLL, Clock.system()), hub));
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
}
