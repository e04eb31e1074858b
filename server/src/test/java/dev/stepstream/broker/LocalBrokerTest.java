package dev.stepstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepstream.store.Store;
import dev.stepstream.store.Stores;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker contract on one node: the local broker over SQLite. */
class LocalBrokerTest extends BrokerContractTest {
    @TempDir
    Path dir;

    @Override
    protected Store openStore() {
        return Stores.sqlite(dir.resolve("stepstream.db"));
    }

    @Override
    protected List<Node> startNodes(Store store) {
        RecordingHub hub = new RecordingHub();
        return List.of(new Node("only", new LocalBroker(hub, hub), hub));
    }

    @Override
    protected void awaitFollowing(Node node, UUID runId) {}

    @Test
    void theCommittersBatchReachesTheHubAtOnceUncopied() {
        RunLog run = new RunLog(store);
        List<dev.stepstream.events.RunEvent> batch = List.of(run.runStart(), run.stepStart());

        commit(batch);

        assertThat(watcher().hub().lastBatch()).as("not copied, not queued").isSameAs(batch);
    }
}
